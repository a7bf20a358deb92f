"""``hz45 seed-demo``."""

import click
from click.core import ParameterSource

from hz45.commands.common import load

# The defaults of jobs.demo_data.DemoConfig, so that --help needs no import of it
# (tests/hz45/test_cli.py checks that they agree).
USERS, TRACKS, SEED = 2000, 4000, 45


@click.command("seed-demo")
@click.option("--scale", type=click.Choice(["demo", "deck"]), default="demo", show_default=True,
              help="demo: a small generated catalog. deck: the original product's scale, on the real "
                   "Spotify tracks CSV (~89k tracks, 10,000 users, 10,000 playlists with 5,002,000 rated "
                   "entries, 1,000,000 plays over the last week).")
@click.option("--users", default=USERS, show_default=True, help="Number of listeners (demo scale).")
@click.option("--tracks", default=TRACKS, show_default=True, help="Number of tracks (demo scale).")
@click.option("--fraction", type=click.FloatRange(0, 1, min_open=True), default=1.0, show_default=True,
              help="Deck scale only: this share of every count, tracks included (e.g. 0.1, 0.3).")
@click.option("--tracks-csv", type=click.Path(exists=True, dir_okay=False),
              help="Deck scale only: the Spotify tracks CSV [default: $HZ45_DATA_DIR/spotify_tracks/dataset.csv, "
                   "else ../shared/data/spotify_tracks/dataset.csv from the repository].")
@click.option("--seed", default=SEED, show_default=True, help="Random seed.")
@click.pass_context
def command(ctx: click.Context, scale: str, users: int, tracks: int, fraction: float,
            tracks_csv: str | None, seed: int) -> None:
    """Generate the deterministic demo dataset into an empty, migrated DATABASE_URL.

    Also creates the demo logins (a listener with a listening history of its own, and an
    admin) and prints them. At deck scale, progress lines go to stderr; PostgreSQL loads it in
    a few minutes.
    """
    given = {name for name in ("users", "tracks", "fraction", "tracks_csv")
             if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT}
    misplaced = given & ({"fraction", "tracks_csv"} if scale == "demo" else {"users", "tracks"})
    if misplaced:
        names = ", ".join("--" + n.replace("_", "-") for n in sorted(misplaced))
        raise click.UsageError(f"{names} cannot be used with --scale {scale}")
    settings, engine = load()
    from domain.accounts.demo_logins import demo_logins_line, ensure_demo_login
    from jobs.demo_data import database_is_empty

    if not database_is_empty(engine):
        raise click.ClickException("the database already has a catalog; seed-demo needs an empty one")
    if scale == "deck":
        counts = _seed_deck(engine, fraction, tracks_csv, seed)
    else:
        from jobs.demo_data import DemoConfig, seed_demo

        counts = seed_demo(engine, DemoConfig(users=users, tracks=tracks, seed=seed, demo_listener=True))
    click.echo("seeded " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    ensure_demo_login(engine, settings.auth)
    click.echo(demo_logins_line())


def _seed_deck(engine, fraction: float, tracks_csv: str | None, seed: int) -> dict:
    from jobs.deck_data import DeckConfig, default_tracks_csv, seed_deck

    path = tracks_csv or default_tracks_csv()
    if not tracks_csv and not path.is_file():
        raise click.ClickException(f"no tracks CSV at {path}; set HZ45_DATA_DIR or pass --tracks-csv")
    report = seed_deck(engine, DeckConfig.at_fraction(fraction, seed=seed), tracks_csv=path)
    click.echo(f"deck: total {sum(report.seconds.values()):.1f} s", err=True)
    return report.counts
