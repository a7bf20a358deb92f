"""``hz45 serve``."""

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="uvicorn worker processes.")
def command(host: str, port: int, workers: int) -> None:
    """Start the API (GraphQL at /graphql) against an already migrated DATABASE_URL.

    Refuses to start when the database cannot be reached or is not at the newest migration.
    X-Forwarded-For is believed only from HZ45_TRUSTED_PROXIES (a JSON list of addresses).
    """
    import uvicorn

    from domain.migrations import serving_problem
    from domain.settings import get_settings
    from hz45.commands.common import check_database_reachable

    url = get_settings().database_url
    check_database_reachable(url)
    problem = serving_problem(url)
    if problem:
        raise click.ClickException(problem)
    # The app reads forwarded headers itself, from the configured proxies only (api/app.py);
    # uvicorn's own handling would trust 127.0.0.1 whatever the settings say.
    uvicorn.run("api.asgi:app", host=host, port=port, workers=workers, proxy_headers=False)
