"""Registering the schedule with RQ's cron (SPEC §5).

Importing this module declares nothing: ``hz45 cron`` (or ``rq cron jobs.cron_config``) loads
:mod:`jobs.cron_config`, which calls :func:`use_utc_clock` and :func:`register_all`. The table
itself is :mod:`domain.jobs.schedule`; the in-process scheduler (:mod:`domain.jobs.inprocess`)
runs the same table without Redis.

RQ's cron enqueues its jobs without a retry, so what it runs is :func:`run_scheduled`, which
enqueues the real run the way every job is enqueued: its queue, its timeout, retry with backoff.
"""

from __future__ import annotations

import os
import time
from typing import Any

from rq import cron, get_current_job

from domain.jobs.queues import enqueue_rq, queue_for
from domain.jobs.schedule import scheduled_jobs
from domain.settings import Settings, get_settings

# run_scheduled only enqueues.
ENQUEUE_TIMEOUT = 60


def use_utc_clock() -> None:
    """Make this process's local time UTC: RQ's cron reads cron strings in local time, and the
    schedule's are in UTC (as the in-process scheduler reads them)."""
    os.environ["TZ"] = "UTC"
    time.tzset()


def run_scheduled(func_path: str, kwargs: dict[str, Any] | None = None) -> str:
    """Job: enqueue one run of the scheduled job at ``func_path``, with retry; returns its job id."""
    return enqueue_rq(get_current_job().connection, func_path, kwargs or {}).id


def register_all(settings: Settings | None = None) -> None:
    """Declare every scheduled job with ``rq.cron.register``, for the cron scheduler that is
    loading its configuration (``CronScheduler.load_config_from_file``) to collect."""
    for job in scheduled_jobs(settings or get_settings()):
        cron.register(run_scheduled, queue_for(job.func_path),
                      kwargs={"func_path": job.func_path, "kwargs": job.kwargs}, interval=job.interval,
                      cron=job.cron, job_timeout=ENQUEUE_TIMEOUT, name=job.name)
