"""hz45 evaluate and hz45 tune on the product's own database (a small demo) and a written file."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hz45.cli import main
from tests.support.demo import small_demo_database


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory, sqlite_template):
    url, engine = small_demo_database(tmp_path_factory.mktemp("eval"), sqlite_template)
    engine.dispose()
    return {"DATABASE_URL": url}


def invoke(args, env):
    return CliRunner().invoke(main, args, env=env)


def test_evaluate_engines_and_a_mix_as_json(demo_env):
    result = invoke(["evaluate", "--dataset", "db", "--engine", "demographic_popular", "--mix",
                     "demographic_popular=1,svd=0.5", "--metric", "hr", "--k", "10", "--json"], demo_env)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [r["name"] for r in rows] == ["demographic_popular", "mix:demographic_popular=1,svd=0.5"]
    for row in rows:
        assert set(row) == {"name", "dataset", "metric", "rmse", "mae", "hr", "ndcg", "genre", "k",
                            "train_seconds", "eval_seconds"}
        assert row["dataset"] == "db" and row["metric"] == "hr" and row["rmse"] is None
        assert 0 <= row["ndcg"] <= row["hr"] <= 1
    # Demographic popularity must beat random ranking among 100 candidates (HR@10 = 0.1).
    assert rows[0]["hr"] > 0.15


def test_evaluate_rmse_table(demo_env):
    result = invoke(["evaluate", "--dataset", "db", "--engine", "svd", "--metric", "rmse", "--folds", "3"], demo_env)
    assert result.exit_code == 0, result.output
    header, row = result.output.strip().splitlines()
    assert header.split()[:5] == ["name", "dataset", "metric", "rmse", "mae"]
    rmse = float(row.split()[3])
    assert 0.3 < rmse < 2.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "db"], "--engine or --mix"),
        (["--dataset", "nope:x", "--engine", "svd"], "unknown dataset kind"),
        (["--dataset", "movielens-100k", "--engine", "svd"], "needs a folder"),
        (["--dataset", "db", "--engine", "zzz"], "no evaluable engine 'zzz'"),
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
