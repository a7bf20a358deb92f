"""``hz45 worker``."""

import click

from hz45.commands.common import load


@click.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Quit once the queues are empty.")
def command(queues: tuple[str, ...], burst: bool) -> None:
    """Run an RQ worker on QUEUES (default: realtime, default, training, in that order).

    Needs REDIS_URL; jobs use DATABASE_URL. Start any number, on any machines.
    """
    from rq import Worker

    from domain.jobs.queues import QUEUES, redis_connection

    settings, engine = load()
    engine.dispose()  # jobs open their own engines; this only checks the settings parse
    if not settings.redis_url:
        raise click.ClickException("REDIS_URL is not set (without it, jobs run inside the API process)")
    connection = redis_connection(settings.redis_url)
    worker = Worker(list(queues or QUEUES), connection=connection)
    # The scheduler moves retried jobs back to their queue once their backoff has passed.
    worker.work(burst=burst, with_scheduler=True)
