"""``hz45 import-top50``."""

import click

from hz45.commands.ingest import run_spotify_job


@click.command("import-top50")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The chart day, YYYY-MM-DD (default: today, UTC).")
@click.option("--playlist", "playlist_id", metavar="ID",
              help="The Spotify playlist id to import (default: the configured "
                   "HZ45_SPOTIFY__TOP50_PLAYLIST_ID, \"Top 50 — South Korea\").")
def command(day, playlist_id: str | None) -> None:
    """Import a Spotify playlist as the daily Top 50 chart.

    Tracks not yet in the catalog are added first; the day's previous Top 50 is replaced in
    one transaction, and left as it was when the import fails. Writes to DATABASE_URL.
    """
    from jobs.ingest import import_top50

    run_spotify_job(import_top50, day.date().isoformat() if day else None, playlist_id)
