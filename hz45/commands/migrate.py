"""``hz45 migrate``."""

import click


@click.command("migrate")
def command() -> None:
    """Apply every Alembic migration to DATABASE_URL (alembic upgrade head)."""
    from domain.db import normalise_url
    from domain.migrations import upgrade
    from domain.settings import get_settings

    url = normalise_url(get_settings().database_url)
    upgrade(url)
    click.echo(f"database at head: {url.split('@')[-1]}")
