"""``hz45 import-csv``."""

import click


@click.command("import-csv")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--genres", help="Comma-separated genres to keep (default: all); each must be listed in the file.")
@click.option("--tempo-k", default=1.5, show_default=True,
              help="Tempo outliers lie beyond this many IQRs outside the quartiles.")
@click.option("--no-retrain", is_flag=True,
              help="Do not retrain the engines that learn from the catalog (the new tracks get content "
                   "clusters at their next training).")
def command(path: str, genres: str | None, tempo_k: float, no_retrain: bool) -> None:
    """Import PATH, a CSV in the public Spotify tracks dataset format, into DATABASE_URL.

    Drops rows missing required fields, merges the rows of a track listed under several
    genres, removes tempo outliers, and reports what was kept and dropped. Re-running it
    updates the same rows. Then the trained engines that learn from the catalog (the content
    engine's clusters) are retrained: here without REDIS_URL, else on the training queue.
    """
    from domain.settings import get_settings
    from hz45.commands.common import checked_database_url, follow_retraining
    from jobs.import_csv import CsvFormatError, NothingToImportError, UnknownGenresError, import_csv

    checked_database_url(get_settings().database_url)  # before reading a large file
    wanted = [g.strip() for g in genres.split(",") if g.strip()] if genres else None
    try:
        report = import_csv(path, wanted, tempo_k=tempo_k, retrain=not no_retrain)
    except (CsvFormatError, UnknownGenresError, NothingToImportError) as exc:
        raise click.ClickException(str(exc)) from None
    queued = report.pop("retrain_jobs")
    width = max(len(k) for k in report)
    for key, value in report.items():
        click.echo(f"{key.replace('_', ' '):<{width}}  {value}")
    if queued:
        follow_retraining(queued)

