"""``hz45 worker`` (the workers themselves: :mod:`domain.jobs.worker`)."""

import sys

import click

from hz45.commands.common import load

HEARTBEAT_SECONDS, MISSED_BEATS = 10, 3  # domain.jobs.worker's, so that --help imports nothing heavy


@click.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Quit once the queues are empty.")
@click.option("--no-split", is_flag=True,
              help="Without QUEUES, one worker on every queue instead of one per group.")
@click.option("--heartbeat", type=click.IntRange(min=1), default=HEARTBEAT_SECONDS, show_default=True,
              help=f"Seconds between a busy worker's heartbeats; the job of a worker that missed "
                   f"{MISSED_BEATS} is re-run elsewhere.")
def command(queues: tuple[str, ...], burst: bool, no_split: bool, heartbeat: int) -> None:
    """Run RQ workers: one on QUEUES, or without QUEUES two, realtime and default in one and
    training in the other (--no-split: one on realtime, default, training, in that order).

    Needs REDIS_URL; jobs use DATABASE_URL. Start any number, on any machines. Each job runs in a
    work horse that dies with its worker; a dead worker's job is re-run within about a minute.
    """
    from domain.jobs.queues import QUEUES, WORKER_QUEUES
    from domain.jobs.worker import run_worker, supervise

    settings, engine = load()
    engine.dispose()  # jobs open their own engines; this only checks the settings parse
    if not settings.redis_url:
        raise click.ClickException("REDIS_URL is not set (without it, jobs run inside the API process)")
    if queues or no_split:
        run_worker(settings.redis_url, list(queues or QUEUES), burst, heartbeat)
    else:
        sys.exit(supervise(settings.redis_url, WORKER_QUEUES, burst, heartbeat))

