"""enqueue and fetch_job: in-process threads without Redis, RQ with retries when Redis is set."""

from __future__ import annotations

import pytest

from domain.jobs.queues import QUEUES, RETRY_INTERVALS, WORKER_QUEUES, enqueue, fetch_job, inprocess_runner, queue_for
from domain.settings import Settings
from tests.support.activity import add_plays, at, seed_activity


def test_inprocess_jobs_report_their_result(sqlite_url):
    from domain.db import create_db_engine

    engine = create_db_engine(sqlite_url)
    (t1, *_), (u1, *_) = seed_activity(engine)
    add_plays(engine, [(u1, t1, at("2024-05-01 10:00"))])
    settings = Settings(database_url=sqlite_url, redis_url=None)
    job = enqueue("jobs.stats.aggregate_user_stats", settings, day="2024-05-01")
    assert job.status == "queued" and job.name == "jobs.stats.aggregate_user_stats"
    inprocess_runner().wait(timeout=30)
    done = fetch_job(job.id, settings)
    assert done.status == "finished"
    assert done.result == {"day": "2024-05-01", "users": 1, "plays": 1}
    engine.dispose()


def test_inprocess_failures_report_their_error(sqlite_url):
    settings = Settings(database_url=sqlite_url, redis_url=None)
    job = enqueue("jobs.stats.aggregate_user_stats", settings, day="not-a-day")
    inprocess_runner().wait(timeout=30)
    failed = fetch_job(job.id, settings)
    assert failed.status == "failed" and "ValueError" in failed.error
    assert fetch_job("no-such-job", settings) is None


def test_jobs_go_to_their_queue():
    assert queue_for("jobs.charts.aggregate_charts") == "realtime"
    assert queue_for("jobs.retrain.retrain") == "training"
    assert queue_for("jobs.ingest.import_top50") == "default"


def test_the_default_workers_listen_on_every_queue_once_training_alone():
    assert sorted(q for group in WORKER_QUEUES for q in group) == sorted(QUEUES)
    assert ("training",) in WORKER_QUEUES


@pytest.mark.redis
def test_rq_jobs_are_enqueued_with_retries(redis_url, sqlite_url):
    from rq import Queue
    from rq.job import Job

    from domain.jobs.queues import redis_connection

    settings = Settings(database_url=sqlite_url, redis_url=redis_url)
    status = enqueue("jobs.retrain.retrain", settings, engine="svd")
    assert status.status == "queued" and status.name == "jobs.retrain.retrain"
    connection = redis_connection(redis_url)
    job = Job.fetch(status.id, connection=connection)
    assert job.kwargs == {"engine": "svd"}
    assert job.retries_left == 3 and job.retry_intervals == RETRY_INTERVALS
    assert Queue("training", connection=connection).job_ids == [status.id]
    assert fetch_job(status.id, settings).status == "queued"
    assert fetch_job("no-such-job", settings) is None
