"""``hz45 evaluate``: offline evaluation of engines and mixes (SPEC §8).

Rows (the table or ``--json`` lines) are all stdout carries; progress goes to stderr.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import sys
import time
from collections.abc import Iterator

import click

from hz45.commands.offline import engine_factory, load_offline_dataset, mix_factory, mix_label, set_seed

# The table: each metric shows its mean and, over several seeds, ``±sd``.
TABLE_METRICS = ("rmse", "mae", "hr", "ndcg", "genre", "coverage", "novelty", "diversity")
TABLE_COLUMNS = ("name", "dataset", "metric", *TABLE_METRICS, "k", "train_s", "eval_s", "error")

quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")


@contextlib.contextmanager
def progress_on_stderr(quiet: bool) -> Iterator[None]:
    """While a command runs, INFO records of the ``hz45.*`` loggers (engines log their epochs
    under ``hz45.engines.<name>``) go to stderr as plain lines; with ``quiet``, nothing does."""
    logger = logging.getLogger("hz45")
    # A NullHandler also keeps Python's last-resort handler from printing warnings.
    handler = logging.NullHandler() if quiet else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    level = logger.level
    logger.addHandler(handler)
    if not quiet:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def parse_seeds(seed: int | None, seeds: str | None) -> list[int]:
    """``--seed N`` or ``--seeds 0,1,2`` (duplicates dropped) as a list; default ``[0]``."""
    if seed is not None and seeds is not None:
        raise click.UsageError("give --seed or --seeds, not both")
    if seeds is None:
        return [0 if seed is None else seed]
    try:
        values = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise click.BadParameter(f"expected integers separated by commas, got {seeds!r}",
                                 param_hint="--seeds") from None
    if not values:
        raise click.BadParameter("name at least one seed", param_hint="--seeds")
    return list(dict.fromkeys(values))


def _number(value, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def table_cells(row: dict) -> list[str]:
    """The table's cells of one row: ``mean±sd`` where several seeds give an sd."""
    cells = [row["name"], row["dataset"], row["metric"]]
    for metric in TABLE_METRICS:
        sd = row.get(f"{metric}_sd")
        cells.append(_number(row.get(metric)) + (f"±{sd:.4f}" if sd is not None else ""))
    cells += [_number(row.get("k")), _number(row.get("train_seconds"), 2), _number(row.get("eval_seconds"), 2)]
    return [*cells, row.get("error") or "-"]


def print_table(rows: list[dict]) -> None:
    """Rows as aligned columns (the error, free text, comes last)."""
    table = [table_cells(row) for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in table)) for i, c in enumerate(TABLE_COLUMNS)]
    for line in [list(TABLE_COLUMNS), *table]:
        click.echo("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())


@click.command("evaluate")
@click.option("--dataset", "dataset_spec", required=True, metavar="KIND:PATH",
              help="db (this database, no PATH), movielens-100k, movielens-1m, ncf-ml-1m, "
                   "lastfm-hetrec or spotify-csv, and the folder holding its original files.")
@click.option("--engine", "engines", multiple=True, metavar="NAME", help="An installed engine (repeatable).")
@click.option("--mix", "mixes", multiple=True, metavar="NAME=W,NAME=W",
              help="A weighted mix, or default / learned (repeatable).")
@click.option("--metric", type=click.Choice(["rmse", "hr", "genre"]), default="hr", show_default=True,
              help="rmse: k-fold RMSE/MAE; hr: leave-one-out HR@k/NDCG@k with 99 negatives, and coverage, "
                   "novelty and artist diversity of the top k; genre: genre coherence@k of similar items.")
@click.option("--k", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20))
@click.option("--seed", type=int, help="The seed of the split (default 0).")
@click.option("--seeds", "seed_list", metavar="S,S,...",
              help="Run every engine and mix once per seed; rows give the mean and standard deviation.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per engine or mix.")
@quiet_option
def command(dataset_spec, engines, mixes, metric, k, folds, seed, seed_list, as_json, quiet) -> None:
    """Evaluate engines or mixes offline on a dataset and print a table (or JSON lines).

    A JSON row has name, dataset, metric, k, seeds, train_seconds and eval_seconds (means per
    seed), error, and per metric (rmse, mae, hr, ndcg, genre, coverage, novelty, diversity) its
    mean and <metric>_sd (null for one seed); metrics the run does not measure are null. An
    engine or mix that fails gets a row with its error while the others still run, and the
    command then exits 1. Progress goes to stderr unless --quiet.
    """
    from engines.evaluation import evaluate_candidates

    if not engines and not mixes:
        raise click.UsageError("name at least one --engine or --mix")
    seeds = parse_seeds(seed, seed_list)
    candidates = [(name, engine_factory(name)) for name in engines]
    candidates += [(mix_label(spec), mix_factory(spec)) for spec in mixes]
    log = logging.getLogger("hz45.commands.evaluate")
    with progress_on_stderr(quiet):
        started = time.perf_counter()
        dataset = load_offline_dataset(dataset_spec)
        log.info("loaded %s in %.1fs; evaluating %d candidate(s), metric %s, seeds %s", dataset.kind,
                 time.perf_counter() - started, len(candidates), metric, ",".join(map(str, seeds)))
        rows = evaluate_candidates(candidates, dataset, metric, k=k, folds=folds, seeds=seeds, on_seed=set_seed)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
    else:
        print_table(rows)
    failed = [row["name"] for row in rows if row["error"]]
    if failed:
        raise click.ClickException(f"{len(failed)} of {len(rows)} failed: {', '.join(failed)}")
