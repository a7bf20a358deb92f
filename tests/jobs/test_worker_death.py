"""Real ``hz45 worker`` processes SIGKILLed mid-job: nothing they forked lingers, and their jobs,
found abandoned once their heartbeats expire, are re-run by a new worker as their Retry says."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from rq import Queue, Worker
from rq.job import Job

from domain.jobs.queues import RETRY_MAX, enqueue_rq, fetch_job, redis_connection
from domain.settings import Settings
from tests.support.slow_jobs import alive, children_of, pids_in, wait_until

ROOT = Path(__file__).resolve().parents[2]
HZ45 = str(Path(sys.executable).parent / "hz45")
SLEEP_ONCE = "tests.support.slow_jobs.sleep_once"
pytestmark = [pytest.mark.redis,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG and /proc")]


@pytest.fixture
def worker_env(redis_url, tmp_path) -> dict[str, str]:
    # The jobs here touch no database; the worker only parses its URL.
    return {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}", "REDIS_URL": redis_url,
            "PYTHONPATH": str(ROOT)}


def start_worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    """``hz45 worker --heartbeat 1 ARGS`` (abandoned jobs are found within seconds), logging to ``log``."""
    with log.open("w") as output:
        return subprocess.Popen([HZ45, "worker", "--heartbeat", "1", *args], cwd=ROOT, env=env,
                                start_new_session=True, stdout=output, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    """Stop a worker (its whole process group if it does not stop in time); returns its exit status."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            return process.wait(20)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return process.wait()


def test_killed_workers_leave_no_process_and_their_jobs_are_rerun_or_failed(worker_env, redis_url, tmp_path):
    settings = Settings(database_url=worker_env["DATABASE_URL"], redis_url=redis_url)
    connection = redis_connection(redis_url)
    retried_pids, failed_pids = tmp_path / "retried", tmp_path / "failed"
    # enqueue_rq gives a job the project's Retry; the other job is enqueued without one.
    retried = enqueue_rq(connection, SLEEP_ONCE, {"pid_file": str(retried_pids), "seconds": 60, "value": {"n": 42}})
    failed = Queue("default", connection=connection).enqueue(SLEEP_ONCE, pid_file=str(failed_pids), seconds=60)

    doomed = [start_worker(worker_env, tmp_path / f"doomed-{i}.log", "default") for i in range(2)]
    try:
        wait_until(lambda: pids_in(retried_pids) and pids_in(failed_pids), 30, "both jobs to start")
        forked = [pid for worker in doomed for pid in children_of(worker.pid)]
        assert {pids_in(retried_pids)[0], pids_in(failed_pids)[0]} <= set(forked)  # and RQ's schedulers
        for worker in doomed:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
        wait_until(lambda: not any(alive(pid) for pid in forked), 5, "the work horses and schedulers to die")
    finally:
        for worker in doomed:
            stop(worker, signal.SIGKILL)
    assert [fetch_job(j.id, settings).status for j in (retried, failed)] == ["started", "started"]

    log = tmp_path / "rerun.log"
    rerun = start_worker(worker_env, log, "default")
    try:
        # the heartbeat expires (4 s), then the retry waits out its first interval (10 s)
        done = wait_until(lambda: (status := fetch_job(retried.id, settings)).status == "finished" and status,
                          30, "the retried job to finish", poll=0.2)
    finally:
        exit_status = stop(rerun)
    assert exit_status == 0, log.read_text()
    assert done.result == {"n": 42}
    first, second = pids_in(retried_pids)
    assert second != first
    assert Job.fetch(retried.id, connection=connection).retries_left == RETRY_MAX - 1
    lost = fetch_job(failed.id, settings)
    assert lost.status == "failed" and "AbandonedJobError" in lost.error
    assert len(pids_in(failed_pids)) == 1
    assert log.read_text().count("was abandoned by a dead worker") == 2


def test_a_killed_supervisor_takes_its_workers_with_it(worker_env, redis_url, tmp_path):
    supervisor = start_worker(worker_env, tmp_path / "worker.log")
    try:
        connection = redis_connection(redis_url)
        wait_until(lambda: len(Worker.all(connection=connection)) == 2, 30, "both workers to start")
        workers = children_of(supervisor.pid)
        assert len(workers) == 2
        descendants = workers + [pid for worker in workers for pid in children_of(worker)]
        os.kill(supervisor.pid, signal.SIGKILL)
        supervisor.wait()
        wait_until(lambda: not any(alive(pid) for pid in descendants), 5, "the workers to die")
    finally:
        stop(supervisor, signal.SIGKILL)
