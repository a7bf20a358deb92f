"""``hz45 demo``."""

import click

from hz45.commands.common import load


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--spotify-fake", is_flag=True,
              help="Also ingest a catalog from the local fake of the Spotify Web API (the Top 50 comes from it "
                   "anyway unless Spotify credentials are configured).")
def command(host: str, port: int, spotify_fake: bool) -> None:
    """Migrate, seed demo data into an empty database, train the engines, and serve the API.

    Every start also imports today's Top 50 (from a local fake of the Spotify Web API unless
    HZ45_SPOTIFY__CLIENT_ID and _SECRET are set), continues the demo listeners' plays up to now
    and computes the charts and statistics of the history. Engines that train in seconds are
    trained before serving; the others train in the background and are used once ready.
    Uses DATABASE_URL (default: the SQLite file ./hz45.db).
    """
    import uvicorn
    from sqlmodel import Session, select

    from api.app import create_app
    from domain.accounts.demo_logins import DEMO_USER, demo_logins_line
    from domain.accounts.tables import User
    from domain.accounts.tokens import issue_token
    from domain.db import normalise_url
    from domain.jobs.inprocess import start_inprocess_scheduler
    from domain.migrations import upgrade
    from hz45.commands.demo_steps import history_line, prepare_demo, train_for_demo, watch_background_training

    settings, engine = load()
    click.echo("migrating the database ...")
    upgrade(normalise_url(settings.database_url))
    settings = prepare_demo(settings, engine, spotify_fake=spotify_fake)
    queued = train_for_demo(settings, engine)
    with Session(engine) as session:
        listener = session.exec(select(User).where(User.nickname == DEMO_USER.nickname)).first()
        token = issue_token(session, listener.id) if listener else None
        session.commit()
    app = create_app(settings, engine=engine, startup=[start_inprocess_scheduler])
    if queued and not settings.redis_url:  # with Redis, `hz45 worker` runs them and says so
        watch_background_training(queued)
    click.echo(f"4.5Hz demo: open http://{host}:{port}/graphql")
    click.echo(demo_logins_line())
    if token:
        click.echo(f"to be signed in as {DEMO_USER.nickname}, send the header "
                   f'{{"Authorization": "Bearer {token}"}} (GraphiQL: the Headers tab) and ask for '
                   "{ recommendations(k: 10) { mixId items { reason track { name } } } }")
    click.echo(history_line(engine))
    uvicorn.run(app, host=host, port=port, proxy_headers=False)  # forwarded headers: HZ45_TRUSTED_PROXIES
