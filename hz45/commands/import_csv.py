"""``hz45 import-csv``."""

import click


@click.command("import-csv")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--genres", help="Comma-separated genres to keep (default: all).")
@click.option("--tempo-k", default=1.5, show_default=True,
              help="Tempo outliers lie beyond this many IQRs outside the quartiles.")
def command(path: str, genres: str | None, tempo_k: float) -> None:
    """Import PATH, a CSV in the public Spotify tracks dataset format, into DATABASE_URL.

    Drops rows missing required fields, merges the rows of a track listed under several
    genres, removes tempo outliers, and reports what was kept and dropped. Re-running it
    updates the same rows.
    """
    from jobs.import_csv import import_csv

    wanted = [g.strip() for g in genres.split(",") if g.strip()] if genres else None
    report = import_csv(path, wanted, tempo_k=tempo_k)
    width = max(len(k) for k in report)
    for key, value in report.items():
        click.echo(f"{key.replace('_', ' '):<{width}}  {value}")
