"""hz45 evaluate, hz45 tune and hz45 train on the product's own database (a small demo), and
hz45 evaluate's rows, errors, seeds and progress on a Last.fm fixture with stand-in engines."""

from __future__ import annotations

import json
import logging
import re

import click
import numpy as np
import pytest
from click.testing import CliRunner

from engines.datasets import load_dataset
from engines.evaluation import evaluate
from hz45.cli import main
from hz45.commands import evaluate as evaluate_command
from hz45.commands.offline import mix_label
from tests.support.datasets import fixture_dir
from tests.support.demo import small_demo_database

ROW_KEYS = {
    "name", "dataset", "metric", "k", "seeds", "train_seconds", "eval_seconds", "error",
    *(f"{m}{sd}" for m in ("rmse", "mae", "hr", "ndcg", "genre", "coverage", "novelty", "diversity")
      for sd in ("", "_sd")),
}  # fmt: skip


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory, sqlite_template):
    directory = tmp_path_factory.mktemp("eval")
    url, engine = small_demo_database(directory, sqlite_template)
    engine.dispose()
    config = directory / "hz45.toml"  # rmse measures predicted ratings: svd learns from ratings alone here
    config.write_text('[recommenders.engines.svd]\nfeedback = "ratings"\n')
    return {"DATABASE_URL": url, "HZ45_CONFIG": str(config)}


def invoke(args, env):
    return CliRunner().invoke(main, args, env=env)


def test_evaluate_engines_and_a_mix_as_json(demo_env):
    result = invoke(["evaluate", "--dataset", "db", "--engine", "demographic_popular", "--mix",
                     "demographic_popular=1,svd=0.5", "--metric", "hr", "--k", "10", "--json"], demo_env)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [r["name"] for r in rows] == ["demographic_popular", "mix:demographic_popular=1,svd=0.5"]
    for row in rows:
        assert set(row) == ROW_KEYS and row["error"] is None and row["seeds"] == [0]
        assert row["dataset"] == "db" and row["metric"] == "hr" and row["rmse"] is None
        assert 0 <= row["ndcg"] <= row["hr"] <= 1 and 0 < row["coverage"] <= 1 and row["novelty"] > 0
        assert row["diversity"] is None  # the database's items carry no artist
    # Demographic popularity must beat random ranking among 100 candidates (HR@10 = 0.1).
    assert rows[0]["hr"] > 0.15


def test_evaluate_rmse_table(demo_env):
    result = invoke(["evaluate", "--dataset", "db", "--engine", "svd", "--metric", "rmse", "--folds", "3"], demo_env)
    assert result.exit_code == 0, result.output
    header, row = result.stdout.strip().splitlines()
    assert header.split()[:5] == ["name", "dataset", "metric", "rmse", "mae"]
    rmse = float(row.split()[3])
    assert 0.3 < rmse < 2.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "db"], "--engine or --mix"),
        (["--dataset", "nope:x", "--engine", "svd"], "unknown dataset kind"),
        (["--dataset", "movielens-100k", "--engine", "svd"], "needs a folder"),
        (["--dataset", "db", "--engine", "zzz"], "'zzz'"),
        (["--dataset", "db", "--engine", "svd", "--seed", "1", "--seeds", "0,1"], "not both"),
        (["--dataset", "db", "--engine", "svd", "--seeds", "0,x"], "integers"),
        (["--dataset", "db", "--mix", "svd=-1"], "non-negative"),
    ],
)
def test_evaluate_usage_errors(demo_env, args, message):
    result = invoke(["evaluate", *args], demo_env)
    assert result.exit_code == 2 and message in result.output


def test_tune_svd_prints_best_parameters(demo_env):
    result = invoke(["tune", "svd", "--grid", '{"n_epochs": [1, 10], "lr_all": [0.005]}', "--cv", "2"], demo_env)
    assert result.exit_code == 0, result.output
    best = json.loads(result.output)
    assert set(best) == {"params", "rmse", "mae"} and best["params"]["n_epochs"] in (1, 10)


def test_tune_refuses_an_engine_whose_plugin_cannot_tune(demo_env):
    result = invoke(["tune", "als"], demo_env)
    assert result.exit_code == 2 and "'als' cannot be tuned; tunable engines: svd" in result.output


def test_train_reports_progress_on_stderr_unless_quiet(demo_env):
    result = invoke(["train", "demographic_popular"], demo_env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("demographic_popular: active v")
    progress = [line for line in result.stderr.splitlines() if "demographic_popular" in line]
    assert any(line.startswith("training") for line in progress)  # a line as it starts ...
    assert any(re.match(r"trained .* in \d+\.\ds", line) for line in progress)  # ... and as it ends
    quiet = invoke(["train", "--quiet", "demographic_popular"], demo_env)
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stdout.startswith("demographic_popular: ") and quiet.stderr == ""


# -- evaluate on a Last.fm fixture with stand-in engines ------------------------------------

LASTFM = f"lastfm-hetrec:{fixture_dir('lastfm_hetrec')}"


class Popular:
    """Scores an artist by its training listeners; logs an epoch as engines do."""

    def fit(self, data):
        logging.getLogger("hz45.engines.popular").info("popular: epoch 1/1")
        self.listeners = data.plays["item_id"].value_counts()
        return self

    def score(self, context, item_ids):
        return self.listeners.reindex(item_ids, fill_value=0).to_numpy(np.float64)


class Broken(Popular):
    def fit(self, data):
        raise RuntimeError("boom")


FACTORIES = {"popular": Popular, "broken": Broken}


@pytest.fixture
def stand_ins(monkeypatch):
    """``--engine NAME`` and ``--mix NAME=1`` build the stand-ins above."""

    def engine_factory(name):
        if name not in FACTORIES:
            raise click.BadParameter(f"no installed engine {name!r}", param_hint="--engine")
        return FACTORIES[name]

    monkeypatch.setattr(evaluate_command, "engine_factory", engine_factory)
    monkeypatch.setattr(evaluate_command, "mix_factory", lambda spec: FACTORIES[spec.partition("=")[0]])


def json_rows(result):
    return [json.loads(line) for line in result.stdout.strip().splitlines()]


def test_a_failing_engine_gets_an_error_row_and_a_nonzero_exit(stand_ins):
    args = ["evaluate", "--dataset", LASTFM, "--engine", "popular", "--engine", "broken", "--mix", "popular=1"]
    result = invoke([*args, "--json", "--quiet"], {})
    assert result.exit_code == 1
    popular, broken, mix = json_rows(result)
    assert broken["name"] == "broken" and broken["error"] == "RuntimeError: boom" and broken["hr"] is None
    assert popular["error"] is None and 0 < popular["hr"] <= 1 and popular["dataset"] == "lastfm-hetrec"
    assert mix["name"] == mix_label("popular=1") and mix["hr"] == popular["hr"]
    assert "1 of 3 failed: broken" in result.stderr
    table = invoke([*args, "--quiet"], {})
    assert table.exit_code == 1
    header, *lines = table.stdout.strip().splitlines()
    assert header.split()[-7:] == ["coverage", "novelty", "diversity", "k", "train_s", "eval_s", "error"]
    assert lines[1].endswith("RuntimeError: boom") and lines[0].split()[-1] == "-"


def test_seeds_report_the_mean_and_sd_of_single_runs(stand_ins):
    dataset = load_dataset("lastfm-hetrec", fixture_dir("lastfm_hetrec"))
    singles = [evaluate(Popular, dataset, "hr", k=5, seed=seed) for seed in (0, 1, 2)]
    result = invoke(["evaluate", "--dataset", LASTFM, "--engine", "popular", "--k", "5", "--seeds", "0,1,2",
                     "--json", "-q"], {})
    assert result.exit_code == 0, result.output
    [row] = json_rows(result)
    assert set(row) == ROW_KEYS and row["seeds"] == [0, 1, 2] and row["k"] == 5
    for key in ("hr", "ndcg", "coverage", "novelty"):
        values = [single[key] for single in singles]
        assert row[key] == pytest.approx(np.mean(values)) and row[f"{key}_sd"] == pytest.approx(np.std(values, ddof=1))
    assert row["diversity"] is None  # Last.fm items are the artists themselves
    one = invoke(["evaluate", "--dataset", LASTFM, "--engine", "popular", "--k", "5", "--seed", "2", "--json", "-q"],
                 {})
    [row] = json_rows(one)
    assert row["hr"] == singles[2]["hr"] and row["hr_sd"] is None and row["seeds"] == [2]
    table = invoke(["evaluate", "--dataset", LASTFM, "--engine", "popular", "--seeds", "0,1", "-q"], {})
    assert "±" in table.stdout.splitlines()[1]


def test_progress_goes_to_stderr_and_quiet_silences_it(stand_ins):
    args = ["evaluate", "--dataset", LASTFM, "--engine", "popular", "--json"]
    result = invoke(args, {})
    assert result.exit_code == 0, result.output
    assert len(json_rows(result)) == 1  # stdout holds the rows only
    for line in ("loaded lastfm-hetrec", "popular: fitting", "popular: epoch 1/1", "popular: fitted in",
                 "popular: ranked 29/29 users (100%)", "popular: evaluated in"):
        assert line in result.stderr
    quiet = invoke([*args, "--quiet"], {})
    assert quiet.exit_code == 0 and quiet.stderr == "" and json_rows(quiet) == [
        {**json_rows(result)[0], "train_seconds": json_rows(quiet)[0]["train_seconds"],
         "eval_seconds": json_rows(quiet)[0]["eval_seconds"]}
    ]
