"""``hz45 ingest``."""

import logging
from collections.abc import Callable

import click


def run_spotify_job(job: Callable[..., dict], *args) -> None:
    """Run an ingestion job and print its counts; a Spotify failure exits 1 with one line."""
    from jobs.spotify.client import SpotifyError

    # Without logging configured, Python prints warnings and errors to stderr; the one-line
    # reason is what the command promises, so spotipy's and the job's own logs stay quiet here
    # (they still reach any handler a worker configures).
    for name in ("spotipy", "jobs"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())
    try:
        report = job(*args)
    except SpotifyError as exc:
        raise click.ClickException(str(exc)) from exc
    queued = report.pop("retrain_jobs", [])
    width = max(len(k) for k in report)
    for key, value in report.items():
        click.echo(f"{key.replace('_', ' '):<{width}}  {value}")
    if queued:
        from hz45.commands.common import follow_retraining

        follow_retraining(queued)


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
    from jobs.ingest import ingest_catalog

    wanted = [g.strip() for g in genres.split(",") if g.strip()] if genres else None
    run_spotify_job(ingest_catalog, wanted, limit)
