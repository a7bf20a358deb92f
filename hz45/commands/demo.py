"""``hz45 demo``."""

import os

import click

from hz45.commands.common import load

DEMO_LISTENER = "listener0001"


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--spotify-fake", is_flag=True,
              help="Run a local fake of the Spotify Web API and ingest the catalog and Top 50 from it.")
def command(host: str, port: int, spotify_fake: bool) -> None:
    """Migrate, seed demo data into an empty database, train the engines, and serve the API.

    Uses DATABASE_URL (default: the SQLite file ./hz45.db).
    """
    import uvicorn
    from sqlmodel import Session, select

    from api.app import create_app
    from domain.accounts.demo_logins import DEMO_ADMIN, ensure_demo_login
    from domain.accounts.tables import User
    from domain.accounts.tokens import issue_token
    from domain.db import normalise_url
    from domain.jobs.inprocess import start_inprocess_scheduler
    from domain.migrations import upgrade
    from domain.recommendations.model_store import active_versions
    from jobs.demo_data import database_is_empty, seed_demo
    from jobs.retrain import train_engines

    settings, engine = load()
    upgrade(normalise_url(settings.database_url))
    if database_is_empty(engine):
        click.echo("generating demo data ...")
        counts = seed_demo(engine)
        click.echo("seeded " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if spotify_fake:
        _ingest_from_fake()
    with Session(engine) as session:
        trained = active_versions(session)
    if not trained:
        click.echo("training the recommenders (first start only, about a minute) ...")
        for name, result in train_engines(settings=settings, db_engine=engine).items():
            click.echo(f"  {name}: {result['status']}")
    login = ensure_demo_login(engine, settings.auth)
    with Session(engine) as session:
        listener = session.exec(select(User).where(User.nickname == DEMO_LISTENER)).first()
        token = issue_token(session, listener.id) if listener else None
        session.commit()
    app = create_app(settings, engine=engine, startup=[start_inprocess_scheduler])
    click.echo(f"4.5Hz demo: open http://{host}:{port}/graphql")
    click.echo(f"log in with logIn(nickname: \"{login.nickname}\", password: \"{login.password}\"); "
               f"admin: {DEMO_ADMIN.nickname} / {DEMO_ADMIN.password}")
    if token:
        click.echo(f"a listener with history, {DEMO_LISTENER}, is already signed in with the header "
                   f'{{"Authorization": "Bearer {token}"}} and ask for {{ recommendations(k: 10) {{ mixId items {{ reason track {{ name }} }} }} }}')
    uvicorn.run(app, host=host, port=port, proxy_headers=False)  # forwarded headers: HZ45_TRUSTED_PROXIES


def _ingest_from_fake() -> None:
    """Point the Spotify settings at a local fake and run both ingestion jobs through it."""
    from jobs.ingest import import_top50, ingest_catalog
    from jobs.spotify.fake_api import start_for_demo

    _running, overrides = start_for_demo()
    for key, value in overrides.items():
        os.environ[f"HZ45_SPOTIFY__{key.upper()}"] = str(value)
    click.echo(f"fake Spotify Web API at {overrides.get('api_prefix')}")
    click.echo(f"ingested catalog: {ingest_catalog()}")
    click.echo(f"imported Top 50: {import_top50()}")
