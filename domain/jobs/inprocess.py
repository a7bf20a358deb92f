"""The schedule of :mod:`domain.jobs.schedule` run inside the API process, for the demo without Redis."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from croniter import croniter

from domain.columns import utcnow
from domain.jobs.queues import enqueue, inprocess_runner
from domain.jobs.schedule import ScheduledJob, scheduled_jobs
from domain.settings import Settings

log = logging.getLogger("hz45.jobs.inprocess")


def next_run(job: ScheduledJob, after: datetime) -> datetime:
    """When ``job`` is next due after ``after`` (cron strings in UTC, like ``hz45 cron``)."""
    if job.interval:
        return after + timedelta(seconds=job.interval)
    return croniter(job.cron, after.astimezone(UTC)).get_next(datetime)


class InProcessScheduler:
    """A thread that enqueues due jobs on the in-process runner; interval jobs start at once."""

    def __init__(self, settings: Settings, jobs: list[ScheduledJob] | None = None) -> None:
        self.settings = settings
        self.jobs = jobs if jobs is not None else scheduled_jobs(settings)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="hz45-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        now = utcnow()
        due = {job.name: now if job.interval else next_run(job, now) for job in self.jobs}
        runner = inprocess_runner()
        while not self._stop.is_set():
            now = utcnow()
            for job in self.jobs:
                if due[job.name] <= now:
                    due[job.name] = next_run(job, now)
                    if job.interval and runner.pending(job.func_path):
                        continue  # the previous run is still going; do not pile up
                    enqueue(job.func_path, self.settings, **job.kwargs)
            self._stop.wait(max(0.0, min((t - utcnow()).total_seconds() for t in due.values())))


def start_inprocess_scheduler(app) -> Callable[[], None] | None:
    """Startup hook: run the schedule in this process when no Redis is configured; returns its stop."""
    settings: Settings = app.state.settings
    if settings.redis_url:
        return None  # `hz45 cron` schedules into Redis instead
    scheduler = InProcessScheduler(settings)
    scheduler.start()
    log.info("in-process scheduler started with %d jobs", len(scheduler.jobs))
    return scheduler.stop
