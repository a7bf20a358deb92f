"""``hz45 tune ENGINE``: grid search of an engine's hyper-parameters through its plugin."""

from __future__ import annotations

import json

import click

from hz45.commands.offline import load_offline_dataset


@click.command("tune")
@click.argument("engine")
@click.option("--dataset", "dataset_spec", default="db", show_default=True, metavar="KIND:PATH",
              help="As for hz45 evaluate: db or KIND:PATH.")
@click.option("--grid", help='JSON object of candidate values, e.g. \'{"lr_all": [0.001, 0.005]}\'.')
@click.option("--cv", default=3, show_default=True, type=click.IntRange(2, 10))
def command(engine: str, dataset_spec: str, grid: str | None, cv: int) -> None:
    """Grid-search ENGINE's hyper-parameters and print the best ones.

    Engines whose plugin supports tuning say so in their description (``tunable``); without
    --grid the plugin's own default grid is searched (svd: the deck's lr_all, n_epochs, reg_all).
    """
    from domain.settings import get_settings
    from plugins.manager import describe, get_plugin_manager

    manager = get_plugin_manager()
    tunable = sorted(name for name, info in describe(manager).items() if info.get("tunable"))
    if engine not in tunable:
        raise click.BadParameter(f"{engine!r} cannot be tuned; tunable engines: {', '.join(tunable) or 'none'}",
                                 param_hint="ENGINE")
    try:
        param_grid = json.loads(grid) if grid else None
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--grid") from None
    dataset = load_offline_dataset(dataset_spec)
    params = get_settings().recommenders.engines.get(engine, {})
    result = manager.hook.hz45_tune(name=engine, data=dataset.data, grid=param_grid, params=params, folds=cv)
    click.echo(json.dumps(result))
