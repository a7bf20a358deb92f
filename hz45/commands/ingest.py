"""``hz45 ingest``."""

import click

from jobs.ingest import ingest_catalog
from jobs.spotify.client import SpotifyError


def echo_report(report: dict) -> None:
    """Print a job's counts, one aligned ``name  value`` line each."""
    width = max(len(k) for k in report)
    for key, value in report.items():
        click.echo(f"{key.replace('_', ' '):<{width}}  {value}")


@click.command("ingest")
@click.option("--genres", help="Comma-separated genres to ingest (default: the configured "
                               "HZ45_SPOTIFY__GENRES, the deck's ten).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000),
              help="At most this many tracks per genre (search results, most relevant first).")
def command(genres: str | None, limit: int) -> None:
    """Ingest tracks, artists and audio features by genre from the Spotify Web API.

    Reads the client credentials from HZ45_SPOTIFY__CLIENT_ID / HZ45_SPOTIFY__CLIENT_SECRET
    (or SPOTIPY_CLIENT_ID / SPOTIPY_CLIENT_SECRET) and writes to DATABASE_URL. Tracks whose
    audio features Spotify does not serve are kept and marked unavailable. Re-running it
    updates the same rows.
    """
    wanted = [g.strip() for g in genres.split(",") if g.strip()] if genres else None
    try:
        report = ingest_catalog(wanted, limit)
    except SpotifyError as exc:
        raise click.ClickException(str(exc)) from exc
    echo_report(report)
