"""``hz45 cron``."""

import click

from domain.jobs.queues import redis_connection
from hz45.commands.common import load


@click.command("cron")
def command() -> None:
    """Run RQ's cron scheduler with the schedule of jobs/schedule.py (one per deployment).

    Needs REDIS_URL; intervals and cron strings come from the settings (HZ45_SCHEDULE__*).
    """
    from rq.cron import CronScheduler

    settings, engine = load()
    engine.dispose()
    if not settings.redis_url:
        raise click.ClickException("REDIS_URL is not set (without it, the API schedules jobs itself)")
    scheduler = CronScheduler(connection=redis_connection(settings.redis_url))
    scheduler.load_config_from_file("jobs.schedule")
    scheduler.start()
