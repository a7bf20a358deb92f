"""Queues and enqueueing: RQ when ``REDIS_URL`` is set, otherwise in-process worker threads.

Jobs are named by import path (``"jobs.charts.aggregate_charts"``) so that enqueueing never
imports a job's module (retraining pulls in heavy libraries). Either way a job gets an id and
:func:`fetch_job` reports its status, result or error.
"""

from __future__ import annotations

import inspect
import json
import logging
import threading
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from domain.columns import utcnow
from domain.settings import Settings, get_settings

log = logging.getLogger("hz45.jobs.queues")

# Every queue, in the order a worker on all of them listens: fast, user-visible work first.
QUEUES = ("realtime", "default", "training")
# The workers ``hz45 worker`` starts without queue names: retraining gets one of its own, so that
# a long retrain never holds the charts back.
WORKER_QUEUES = (("realtime", "default"), ("training",))

JOB_QUEUES = {
    "jobs.charts.aggregate_charts": "realtime",
    "jobs.stats.aggregate_overall_stats": "realtime",
    "jobs.stats.aggregate_user_stats": "default",
    "jobs.ingest.import_top50": "default",
    "jobs.ingest.ingest_catalog": "default",
    "jobs.retrain.retrain": "training",
}
JOB_TIMEOUTS = {"realtime": 600, "default": 1800, "training": 4 * 3600}
RETRY_MAX = 3
RETRY_INTERVALS = [10, 30, 60]
RESULT_TTL = 24 * 3600
KEEP_INPROCESS = 500


@dataclass(frozen=True)
class JobStatus:
    """What a client may learn about a job."""

    id: str
    name: str
    status: str  # queued | started | finished | failed | scheduled | deferred | canceled | stopped
    enqueued_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    result: Any = None
    error: str | None = None


def queue_for(func_path: str) -> str:
    """The queue a job runs on (``default`` for jobs not listed)."""
    return JOB_QUEUES.get(func_path, "default")


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def enqueue(func_path: str, settings: Settings | None = None, **kwargs: Any) -> JobStatus:
    """Run the job at ``func_path`` with ``kwargs`` on its queue; returns its id and status."""
    settings = settings or get_settings()
    if settings.redis_url:
        return enqueue_rq(redis_connection(settings.redis_url), func_path, kwargs)
    return inprocess_runner().submit(func_path, settings, kwargs)


def fetch_job(job_id: str, settings: Settings | None = None) -> JobStatus | None:
    """The status of a job enqueued with :func:`enqueue`, or None when unknown or expired."""
    settings = settings or get_settings()
    if settings.redis_url:
        return _fetch_rq(job_id, settings.redis_url)
    return inprocess_runner().get(job_id)


def redis_connection(url: str):
    """A Redis client for RQ."""
    from redis import Redis

    return Redis.from_url(url)


def enqueue_rq(connection, func_path: str, kwargs: dict[str, Any]) -> JobStatus:
    """Enqueue on RQ through ``connection``: the job's queue and timeout, retry with backoff."""
    from rq import Queue, Retry

    queue_name = queue_for(func_path)
    queue = Queue(queue_name, connection=connection)
    job = queue.enqueue(func_path, kwargs=kwargs, retry=Retry(max=RETRY_MAX, interval=RETRY_INTERVALS),
                        job_timeout=JOB_TIMEOUTS[queue_name], result_ttl=RESULT_TTL)
    return _rq_status(job)


def _fetch_rq(job_id: str, redis_url: str) -> JobStatus | None:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        return _rq_status(Job.fetch(job_id, connection=redis_connection(redis_url)))
    except NoSuchJobError:
        return None


def _rq_status(job) -> JobStatus:
    status = job.get_status()
    status = str(getattr(status, "value", status))
    result = job.return_value() if status == "finished" else None
    error = None
    if status == "failed":
        latest = job.latest_result()
        text = (latest.exc_string if latest is not None else None) or ""
        error = text.strip().splitlines()[-1] if text.strip() else "failed"
    return JobStatus(
        id=job.id, name=job.func_name, status=status,
        enqueued_at=job.enqueued_at, started_at=job.started_at, ended_at=job.ended_at,
        result=_json_safe(result), error=error,
    )


def _import(func_path: str):
    from rq.utils import import_attribute

    return import_attribute(func_path)


class InProcessRunner:
    """Runs jobs in background threads, one thread per queue (like one RQ worker each)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, JobStatus] = OrderedDict()
        self._executors: dict[str, ThreadPoolExecutor] = {}

    def submit(self, func_path: str, settings: Settings, kwargs: dict[str, Any]) -> JobStatus:
        """Queue a job on its queue's thread."""
        status = JobStatus(id=uuid.uuid4().hex, name=func_path, status="queued", enqueued_at=utcnow())
        self._put(status)
        queue = queue_for(func_path)
        with self._lock:
            executor = self._executors.get(queue)
            if executor is None:
                executor = self._executors[queue] = ThreadPoolExecutor(1, thread_name_prefix=f"hz45-{queue}")
        executor.submit(self._run, status.id, func_path, settings, kwargs)
        return status

    def get(self, job_id: str) -> JobStatus | None:
        """A job's latest status."""
        with self._lock:
            return self._jobs.get(job_id)

    def statuses(self) -> list[JobStatus]:
        """Every job kept, oldest first."""
        with self._lock:
            return list(self._jobs.values())

    def pending(self, func_path: str) -> bool:
        """Whether a job of ``func_path`` is queued or running."""
        with self._lock:
            return any(j.name == func_path and j.status in ("queued", "started") for j in self._jobs.values())

    def wait(self, timeout: float | None = None) -> None:
        """Block until every job submitted so far has finished (for tests and shutdown)."""
        with self._lock:
            executors = list(self._executors.values())
        for executor in executors:
            executor.submit(lambda: None).result(timeout)

    def _put(self, status: JobStatus) -> None:
        with self._lock:
            self._jobs[status.id] = status
            self._jobs.move_to_end(status.id)
            while len(self._jobs) > KEEP_INPROCESS:
                self._jobs.popitem(last=False)

    def _run(self, job_id: str, func_path: str, settings: Settings, kwargs: dict[str, Any]) -> None:
        status = replace(self.get(job_id), status="started", started_at=utcnow())
        self._put(status)
        try:
            func = _import(func_path)
            if "database_url" in inspect.signature(func).parameters:
                kwargs = {"database_url": settings.database_url, **kwargs}
            result = func(**kwargs)
        except Exception as exc:  # noqa: BLE001 - reported through the job's status
            log.exception("job %s (%s) failed", job_id, func_path)
            self._put(replace(status, status="failed", ended_at=utcnow(), error=f"{type(exc).__name__}: {exc}"))
        else:
            self._put(replace(status, status="finished", ended_at=utcnow(), result=_json_safe(result)))


_runner: InProcessRunner | None = None
_runner_lock = threading.Lock()


def inprocess_runner() -> InProcessRunner:
    """This process's in-process runner."""
    global _runner
    with _runner_lock:
        if _runner is None:
            _runner = InProcessRunner()
        return _runner
