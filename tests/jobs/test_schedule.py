"""The schedule: what `hz45 cron` registers with RQ, and the in-process scheduler."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from domain.jobs.inprocess import InProcessScheduler, next_run
from domain.jobs.queues import RETRY_INTERVALS, RETRY_MAX, inprocess_runner
from domain.jobs.schedule import ScheduledJob, scheduled_jobs
from domain.settings import Settings
from hz45.cli import main

ROOT = Path(__file__).resolve().parents[2]
NEVER_CONNECTED = "redis://127.0.0.1:1/0"
# Nine hours east of UTC, as a POSIX rule (needs no time zone database).
SEOUL = "KST-9"


@pytest.fixture(autouse=True)
def time_zone():
    """Loading jobs.cron_config (and these tests) change the process's zone: put it back after."""
    before = os.environ.get("TZ")
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def _set_zone(zone: str) -> None:
    os.environ["TZ"] = zone
    time.tzset()


def _load_rq_cron(url: str = NEVER_CONNECTED):
    from redis import Redis
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=Redis.from_url(url))
    scheduler.load_config_from_file("jobs.cron_config")  # imports it, or reloads it when imported
    return {job.name: job for job in scheduler.get_jobs()}


def _summary(jobs):
    # RQ's cron runs jobs.schedule.run_scheduled, which enqueues the real job with retry.
    assert {j.func_name for j in jobs.values()} == {"jobs.schedule.run_scheduled"}
    return {n: (j.kwargs["func_path"], j.queue_name, j.interval, j.cron) for n, j in jobs.items()}


def test_rq_cron_loads_the_schedule_from_settings(monkeypatch):
    monkeypatch.setenv("HZ45_SCHEDULE__AGGREGATE_CHARTS_SECONDS", "42")
    monkeypatch.setenv("HZ45_SCHEDULE__RETRAIN_CRON", "0 4 * * *")
    jobs = _load_rq_cron()
    assert _summary(jobs) == {
        "aggregate_charts": ("jobs.charts.aggregate_charts", "realtime", 42, None),
        "aggregate_overall_stats": ("jobs.stats.aggregate_overall_stats", "realtime", 100, None),
        "aggregate_overall_stats_daily": ("jobs.stats.aggregate_overall_stats", "realtime", None, "30 9 * * *"),
        "aggregate_user_stats": ("jobs.stats.aggregate_user_stats", "default", None, "30 9 * * *"),
        "import_top50": ("jobs.ingest.import_top50", "default", None, "30 9 * * *"),
        "retrain": ("jobs.retrain.retrain", "training", None, "0 4 * * *"),
        "generate_daily_mixes": ("jobs.generated_playlists.generate_daily_mixes", "default", None, "0 10 * * *"),
        "generate_weekly_exploration": ("jobs.generated_playlists.generate_weekly_exploration", "default", None,
                                        "15 10 * * 1"),
        "similar_users": ("jobs.similar_users.similar_users", "default", None, "50 9 * * *"),
        "update_listening_rollups": ("jobs.listening_stats.update_listening_rollups", "default", 300, None),
    }
    assert jobs["aggregate_user_stats"].kwargs["kwargs"] == {"day": "yesterday"}
    assert _load_rq_cron().keys() == jobs.keys()  # a second load neither loses nor doubles jobs


def test_importing_the_schedule_registers_nothing():
    # A fresh interpreter, so that the import really runs; rq.cron rebinds its registry list
    # while loading a config, hence the attribute lookup after the imports.
    script = ("import rq.cron, jobs.schedule, domain.jobs.schedule, domain.jobs.inprocess, api.asgi; "
              "print(len(rq.cron._job_data_registry))")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


def test_hz45_cron_starts_rq_cron_with_the_schedule(monkeypatch, tmp_path):
    from rq.cron import CronScheduler

    started = {}
    monkeypatch.setattr(CronScheduler, "start", lambda self: started.update(
        {job.name: job for job in self.get_jobs()}))
    env = {"REDIS_URL": NEVER_CONNECTED, "DATABASE_URL": f"sqlite:///{tmp_path}/cron.db"}
    result = CliRunner().invoke(main, ["cron"], env=env)
    assert result.exit_code == 0, result.output
    assert _summary(started) == _summary(_load_rq_cron())
    assert len(started) == len(scheduled_jobs(Settings()))


def test_hz45_cron_needs_redis(tmp_path):
    env = {"REDIS_URL": None, "DATABASE_URL": f"sqlite:///{tmp_path}/cron.db"}
    result = CliRunner().invoke(main, ["cron"], env=env)
    assert result.exit_code == 1 and "REDIS_URL is not set" in result.output


def test_next_run_of_interval_and_cron_jobs_in_utc_whatever_the_zone():
    _set_zone(SEOUL)
    start = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert next_run(ScheduledJob("a", "x.y", interval=100), start) == datetime(2024, 5, 1, 10, 1, 40, tzinfo=UTC)
    assert next_run(ScheduledJob("b", "x.y", cron="30 9 * * *"), start) == datetime(2024, 5, 2, 9, 30, tzinfo=UTC)


def test_rq_cron_reads_cron_strings_in_utc_whatever_the_zone():
    _set_zone(SEOUL)
    due = _load_rq_cron()["retrain"].next_enqueue_time.astimezone(UTC)
    assert (due.hour, due.minute) == (9, 40)  # 40 9 * * *, not 00:40 UTC (09:40 in Seoul)


@pytest.mark.redis
def test_scheduled_runs_are_enqueued_with_retry_and_backoff(redis_url):
    from redis import Redis
    from rq import Queue, SimpleWorker

    connection = Redis.from_url(redis_url)
    cron_job = _load_rq_cron(redis_url)["retrain"]
    cron_job.enqueue(connection)  # what `rq cron` does when the job is due
    queue = Queue("training", connection=connection)
    SimpleWorker([queue], connection=connection).work(burst=True, max_jobs=1)
    [run] = queue.get_jobs()
    assert run.func_name == "jobs.retrain.retrain"
    assert (run.retries_left, run.retry_intervals) == (RETRY_MAX, RETRY_INTERVALS)


def test_default_schedule_matches_the_spec():
    jobs = {j.name: j for j in scheduled_jobs(Settings(redis_url=None))}
    assert jobs["aggregate_charts"].interval == 100
    assert jobs["retrain"].cron == "40 9 * * *"


@pytest.mark.timeout(60)
def test_inprocess_scheduler_runs_interval_jobs_at_start(sqlite_url):
    settings = Settings(database_url=sqlite_url, redis_url=None)
    job = ScheduledJob("aggregate_charts", "jobs.charts.aggregate_charts", interval=3600)
    scheduler = InProcessScheduler(settings, [job])
    scheduler.start()
    try:
        runner = inprocess_runner()
        while not any(j.name == job.func_path for j in runner.statuses()):
            scheduler._stop.wait(0.05)
        runner.wait(timeout=30)
    finally:
        scheduler.stop()
    finished = [j for j in runner.statuses() if j.name == job.func_path]
    assert finished[-1].status == "finished"
