"""``hz45 migrate``."""

import click


@click.command("migrate")
def command() -> None:
    """Apply every Alembic migration to DATABASE_URL (alembic upgrade head)."""
    from domain.migrations import upgrade
    from domain.settings import get_settings
    from hz45.commands.common import checked_database_url

    url = checked_database_url(get_settings().database_url)
    upgrade(url)
    click.echo(f"database at head: {url.split('@')[-1]}")
