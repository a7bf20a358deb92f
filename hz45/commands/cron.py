"""``hz45 cron``."""

import click

from hz45.commands.common import load

# The module whose import declares the schedule with rq.cron.register (see jobs/cron_config.py).
CRON_CONFIG = "jobs.cron_config"


@click.command("cron")
def command() -> None:
    """Run RQ's cron scheduler with the schedule of domain/jobs/schedule.py (one per deployment).

    Needs REDIS_URL; intervals and cron strings (in UTC) come from the settings (HZ45_SCHEDULE__*).
    Scheduled runs retry with backoff like every job.
    """
    from rq.cron import CronScheduler

    from domain.jobs.queues import redis_connection

    settings, engine = load()
    engine.dispose()
    if not settings.redis_url:
        raise click.ClickException("REDIS_URL is not set (without it, the API schedules jobs itself)")
    scheduler = CronScheduler(connection=redis_connection(settings.redis_url))
    scheduler.load_config_from_file(CRON_CONFIG)
    scheduler.start()
