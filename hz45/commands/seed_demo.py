"""``hz45 seed-demo``."""

import click

from hz45.commands.common import load

# The defaults of jobs.demo_data.DemoConfig, so that --help needs no import of it
# (tests/hz45/test_cli.py checks that they agree).
USERS, TRACKS, SEED = 2000, 4000, 45


@click.command("seed-demo")
@click.option("--users", default=USERS, show_default=True, help="Number of listeners.")
@click.option("--tracks", default=TRACKS, show_default=True, help="Number of tracks.")
@click.option("--seed", default=SEED, show_default=True, help="Random seed.")
def command(users: int, tracks: int, seed: int) -> None:
    """Generate the deterministic demo dataset into an empty, migrated DATABASE_URL."""
    from jobs.demo_data import DemoConfig, database_is_empty, seed_demo

    _, engine = load()
    if not database_is_empty(engine):
        raise click.ClickException("the database already has a catalog; seed-demo needs an empty one")
    counts = seed_demo(engine, DemoConfig(users=users, tracks=tracks, seed=seed))
    click.echo("seeded " + ", ".join(f"{v} {k}" for k, v in counts.items()))
