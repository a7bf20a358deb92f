"""``hz45 tune svd``: grid search of SVD hyper-parameters with surprise's GridSearchCV."""

from __future__ import annotations

import json

import click

from hz45.commands.offline import load_offline_dataset

DECK_GRID = {"lr_all": [0.001, 0.005, 0.01], "n_epochs": [5, 10, 20], "reg_all": [0.02, 0.1, 0.4]}


@click.command("tune")
@click.argument("engine", type=click.Choice(["svd"]))
@click.option("--dataset", "dataset_spec", default="db", show_default=True, metavar="KIND:PATH",
              help="As for hz45 evaluate: db or KIND:PATH.")
@click.option("--grid", help='JSON object of candidate values, e.g. \'{"lr_all": [0.001, 0.005]}\'.')
@click.option("--cv", default=3, show_default=True, type=click.IntRange(2, 10))
def command(engine: str, dataset_spec: str, grid: str | None, cv: int) -> None:
    """Grid-search ENGINE's hyper-parameters and print the best ones (lowest RMSE).

    The default grid spans the deck's search (lr_all, n_epochs, reg_all).
    """
    from domain.settings import get_settings
    from engines.svd import tune

    try:
        param_grid = json.loads(grid) if grid else DECK_GRID
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--grid") from None
    dataset = load_offline_dataset(dataset_spec)
    base = get_settings().recommenders.engines.get(engine, {})
    result = tune(dataset.data, param_grid, cv=cv, config=base)
    click.echo(json.dumps(result))
