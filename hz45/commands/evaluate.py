"""``hz45 evaluate``: offline evaluation of engines and mixes (SPEC §8)."""

from __future__ import annotations

import json
import math

import click

from hz45.commands.offline import engine_factory, load_offline_dataset, parse_mix

COLUMNS = ("name", "dataset", "metric", "rmse", "mae", "hr", "ndcg", "genre", "k", "train_seconds", "eval_seconds")


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


@click.command("evaluate")
@click.option("--dataset", "dataset_spec", required=True, metavar="KIND:PATH",
              help="db (this database, no PATH), movielens-100k, movielens-1m, ncf-ml-1m, "
                   "lastfm-hetrec or spotify-csv, and the folder holding its original files.")
@click.option("--engine", "engines", multiple=True, metavar="NAME", help="An installed engine (repeatable).")
@click.option("--mix", "mixes", multiple=True, metavar="NAME=W,NAME=W", help="A weighted mix (repeatable).")
@click.option("--metric", type=click.Choice(["rmse", "hr", "genre"]), default="hr", show_default=True,
              help="rmse: k-fold RMSE/MAE; hr: leave-one-out HR@k/NDCG@k with 99 negatives; "
                   "genre: genre coherence@k of similar items.")
@click.option("--k", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per engine or mix.")
def command(dataset_spec, engines, mixes, metric, k, folds, seed, as_json) -> None:
    """Evaluate engines or mixes offline on a dataset and print a table (or JSON lines)."""
    from engines.evaluation import Mix, evaluate

    if not engines and not mixes:
        raise click.UsageError("name at least one --engine or --mix")
    candidates = [(name, engine_factory(name)) for name in engines]
    for spec in mixes:
        parts = parse_mix(spec)
        label = "mix:" + ",".join(f"{n}={w:g}" for n, w in parts)
        candidates.append((label, lambda parts=parts: Mix([(engine_factory(n), w) for n, w in parts])))
    dataset = load_offline_dataset(dataset_spec)
    rows = [evaluate(factory, dataset, metric, k=k, folds=folds, seed=seed, name=name) for name, factory in candidates]
    if as_json:
        for row in rows:
            click.echo(json.dumps({c: row.get(c) for c in COLUMNS}))
        return
    table = [[_cell(row.get(c)) for c in COLUMNS] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in table)) for i, c in enumerate(COLUMNS)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)))
    for line in table:
        click.echo("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)))
