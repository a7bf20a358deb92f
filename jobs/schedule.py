"""The schedule of recurring jobs (SPEC §5).

Importing this module declares nothing: ``hz45 cron`` (or ``rq cron jobs.cron_config``) loads
:mod:`jobs.cron_config`, which calls :func:`register_all`, and the in-process scheduler
(:mod:`jobs.inprocess`) runs the same table without Redis. Intervals and cron strings come from
``Settings.schedule``. Cron strings are read in the local time of the process that schedules
(RQ's cron does so; set ``TZ`` on that machine).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rq import cron
from rq.utils import import_attribute

from domain.jobs.queues import JOB_TIMEOUTS, queue_for
from domain.settings import Settings, get_settings


@dataclass(frozen=True)
class ScheduledJob:
    """One recurring job: what to run (by import path), with which arguments, and when."""

    name: str
    func_path: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    interval: int | None = None
    cron: str | None = None


def scheduled_jobs(settings: Settings) -> list[ScheduledJob]:
    """The recurring jobs for ``settings``."""
    times = settings.schedule
    return [
        ScheduledJob("aggregate_charts", "jobs.charts.aggregate_charts", interval=times.aggregate_charts_seconds),
        ScheduledJob("aggregate_overall_stats", "jobs.stats.aggregate_overall_stats",
                     interval=times.aggregate_overall_stats_seconds),
        # The daily run closes the previous day with its final figures.
        ScheduledJob("aggregate_overall_stats_daily", "jobs.stats.aggregate_overall_stats",
                     {"day": "yesterday"}, cron=times.daily_stats_cron),
        ScheduledJob("aggregate_user_stats", "jobs.stats.aggregate_user_stats",
                     {"day": "yesterday"}, cron=times.daily_stats_cron),
        ScheduledJob("import_top50", "jobs.ingest.import_top50", cron=times.import_top50_cron),
        ScheduledJob("retrain", "jobs.retrain.retrain", cron=times.retrain_cron),
    ]


def register_all(settings: Settings | None = None) -> None:
    """Declare every scheduled job with ``rq.cron.register``, for the cron scheduler that is
    loading its configuration (``CronScheduler.load_config_from_file``) to collect."""
    for job in scheduled_jobs(settings or get_settings()):
        queue = queue_for(job.func_path)
        cron.register(import_attribute(job.func_path), queue, kwargs=job.kwargs, interval=job.interval,
                      cron=job.cron, job_timeout=JOB_TIMEOUTS[queue], name=job.name)
