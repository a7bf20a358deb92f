"""``hz45 train``."""

import json

import click

from hz45.commands.common import load
from hz45.commands.evaluate import progress_on_stderr, quiet_option


@click.command("train")
@click.argument("engines", nargs=-1)
@click.option("--force", is_flag=True, help="Activate the new versions even if their metric is worse.")
@quiet_option
def command(engines: tuple[str, ...], force: bool, quiet: bool) -> None:
    """Train ENGINES (default: every installed recommender) on DATABASE_URL's data.

    Each run stores a new model version; it becomes active when its validation metric is not
    worse than the active version's (or with --force). Running API servers pick it up.
    Progress (each engine's start and end, and what engines log) goes to stderr unless --quiet.
    """
    from jobs.retrain import train_engines

    settings, engine = load()
    with progress_on_stderr(quiet):  # the training job logs each engine's start and end
        summary = train_engines(list(engines) or None, force=force, settings=settings, db_engine=engine)
    for name, result in summary.items():
        metrics = {k: round(v, 4) for k, v in result.get("metrics", {}).items()
                   if not k.startswith(("bic_", "silhouette_"))}
        click.echo(f"{name}: {result['status']} v{result.get('version', '-')} {json.dumps(metrics)}"
                   if result["status"] != "failed" else f"{name}: failed: {result['error']}")
    if any(r["status"] == "failed" for r in summary.values()):
        raise click.ClickException("some engines failed to train")
