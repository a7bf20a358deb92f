"""``hz45 demo``."""

import click
import uvicorn
from sqlmodel import Session

from api.app import create_app
from api.db import normalise_url
from api.migrations import upgrade
from api.model_store import active_versions
from hz45.commands.common import load
from jobs.demo_data import database_is_empty, seed_demo
from jobs.retrain import train_engines


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def command(host: str, port: int) -> None:
    """Migrate, seed demo data into an empty database, train the engines, and serve the API.

    Uses DATABASE_URL (default: the SQLite file ./hz45.db).
    """
    settings, engine = load()
    upgrade(normalise_url(settings.database_url))
    if database_is_empty(engine):
        click.echo("generating demo data ...")
        counts = seed_demo(engine)
        click.echo("seeded " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    with Session(engine) as session:
        trained = active_versions(session)
    if not trained:
        click.echo("training the recommenders (first start only) ...")
        for name, result in train_engines(settings=settings, db_engine=engine).items():
            click.echo(f"  {name}: {result['status']}")
    app = create_app(settings, engine=engine)
    click.echo(f"4.5Hz demo: open http://{host}:{port}/graphql")
    uvicorn.run(app, host=host, port=port)
