"""``hz45 seed-demo``."""

import click

from hz45.commands.common import load
from jobs.demo_data import DemoConfig, database_is_empty, seed_demo


@click.command("seed-demo")
@click.option("--users", default=DemoConfig.users, show_default=True, help="Number of listeners.")
@click.option("--tracks", default=DemoConfig.tracks, show_default=True, help="Number of tracks.")
@click.option("--seed", default=DemoConfig.seed, show_default=True, help="Random seed.")
def command(users: int, tracks: int, seed: int) -> None:
    """Generate the deterministic demo dataset into an empty, migrated DATABASE_URL."""
    _, engine = load()
    if not database_is_empty(engine):
        raise click.ClickException("the database already has a catalog; seed-demo needs an empty one")
    counts = seed_demo(engine, DemoConfig(users=users, tracks=tracks, seed=seed))
    click.echo("seeded " + ", ".join(f"{v} {k}" for k, v in counts.items()))
