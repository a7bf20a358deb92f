"""A real ``hz45 worker`` on real Redis: a worker SIGKILLed mid-run loses nothing and breaks nothing,
and without queue names a running retrain does not hold the charts back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from domain.columns import utcnow
from domain.db import create_db_engine
from domain.jobs.queues import enqueue, fetch_job, redis_connection
from domain.settings import Settings
from jobs.charts import KILL_POINT_ENV, aggregate_charts, all_chart_rows
from tests.support.activity import add_plays, seed_activity
from tests.support.slow_jobs import alive, children_of, pids_in, wait_until

ROOT = Path(__file__).resolve().parents[2]
HZ45 = str(Path(sys.executable).parent / "hz45")
pytestmark = pytest.mark.redis


def _worker(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([HZ45, "worker", *args, "realtime"], cwd=ROOT, env=env,
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait_for_pid(path: Path, process: subprocess.Popen, timeout: float = 60) -> int:
    """The id of the process running the job once it reached the kill point."""
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text()):
        if process.poll() is not None:
            raise AssertionError(process.stdout.read().decode())
        assert time.monotonic() < deadline, "the job never reached its kill point"
        time.sleep(0.05)
    return int(path.read_text())


def test_killed_worker_then_rerun_gives_the_rows_of_a_full_rebuild(db_url, redis_url, tmp_path):
    engine = create_db_engine(db_url)
    tracks, users = seed_activity(engine)
    now = utcnow()
    add_plays(engine, [(users[i % 3], tracks[i % 5 if i % 4 else 0], now - timedelta(minutes=i)) for i in range(60)])
    settings = Settings(database_url=db_url, redis_url=redis_url)
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "PYTHONPATH": str(ROOT)}

    marker = tmp_path / "reached-kill-point"
    enqueue("jobs.charts.aggregate_charts", settings)
    doomed = _worker({**env, KILL_POINT_ENV: str(marker)})
    try:
        # The run has written its windows but not committed. RQ runs it in a work horse that
        # has a session of its own, so kill both processes.
        os.kill(_wait_for_pid(marker, doomed), signal.SIGKILL)
    finally:
        if doomed.poll() is None:
            os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait()
    assert all_chart_rows(engine) == []

    jobs = [enqueue("jobs.charts.aggregate_charts", settings) for _ in range(2)]
    rerun = _worker(env, "--burst")
    output, _ = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, output.decode()
    assert [fetch_job(j.id, settings).status for j in jobs] == ["finished", "finished"]
    after_rerun = all_chart_rows(engine)
    assert sum(plays for *_, plays in after_rerun) == 60

    aggregate_charts(full=True, database_url=db_url)
    assert all_chart_rows(engine) == after_rerun
    engine.dispose()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_without_queue_names_charts_run_while_training_runs(sqlite_url, redis_url, tmp_path):
    from rq import Queue

    settings = Settings(database_url=sqlite_url, redis_url=redis_url)
    env = {**os.environ, "DATABASE_URL": sqlite_url, "REDIS_URL": redis_url, "PYTHONPATH": str(ROOT)}
    pid_file, release = tmp_path / "training-pid", tmp_path / "release"
    training = Queue("training", connection=redis_connection(redis_url)).enqueue(
        "tests.support.slow_jobs.wait_for_file", pid_file=str(pid_file), release_file=str(release), value="trained")
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        workers = subprocess.Popen([HZ45, "worker", "--heartbeat", "1"], cwd=ROOT, env=env, start_new_session=True,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: pids_in(pid_file), 30, "the training job to start")
        chart = enqueue("jobs.charts.aggregate_charts", settings)
        wait_until(lambda: fetch_job(chart.id, settings).status == "finished", 30, "the chart job to finish")
        assert fetch_job(training.id, settings).status == "started"
        release.touch()
        wait_until(lambda: fetch_job(training.id, settings).status == "finished", 30, "the training job to finish")
        assert fetch_job(training.id, settings).result == "trained"
        worker_pids = children_of(workers.pid)
        assert len(worker_pids) == 2
        processes = worker_pids + [pid for worker in worker_pids for pid in children_of(worker)]  # + schedulers
        workers.send_signal(signal.SIGTERM)
        assert workers.wait(30) == 0, log.read_text()
        assert not any(alive(pid) for pid in processes)
    finally:
        if workers.poll() is None:
            os.killpg(workers.pid, signal.SIGKILL)
            workers.wait()
