"""Registering the schedule with RQ's cron (SPEC §5).

Importing this module declares nothing: ``hz45 cron`` (or ``rq cron jobs.cron_config``) loads
:mod:`jobs.cron_config`, which calls :func:`register_all`. The table itself is
:mod:`domain.jobs.schedule`; the in-process scheduler (:mod:`domain.jobs.inprocess`) runs the
same table without Redis.
"""

from __future__ import annotations

from rq import cron
from rq.utils import import_attribute

from domain.jobs.queues import JOB_TIMEOUTS, queue_for
from domain.jobs.schedule import scheduled_jobs
from domain.settings import Settings, get_settings


def register_all(settings: Settings | None = None) -> None:
    """Declare every scheduled job with ``rq.cron.register``, for the cron scheduler that is
    loading its configuration (``CronScheduler.load_config_from_file``) to collect."""
    for job in scheduled_jobs(settings or get_settings()):
        queue = queue_for(job.func_path)
        cron.register(import_attribute(job.func_path), queue, kwargs=job.kwargs, interval=job.interval,
                      cron=job.cron, job_timeout=JOB_TIMEOUTS[queue], name=job.name)
