"""``hz45 serve``."""

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="uvicorn worker processes.")
def command(host: str, port: int, workers: int) -> None:
    """Start the API (GraphQL at /graphql) against an already migrated DATABASE_URL."""
    import uvicorn

    uvicorn.run("api.asgi:app", host=host, port=port, workers=workers, proxy_headers=True)
