"""Scale-out over one PostgreSQL and one Redis: two ``hz45 serve`` processes follow a model
activation without a restart, and two workers racing on chart aggregation stay exact."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from domain.columns import utcnow
from domain.db import create_db_engine
from domain.jobs.queues import enqueue, fetch_job
from domain.settings import Settings
from jobs.charts import aggregate_charts, all_chart_rows
from jobs.retrain import train_engines
from tests.support.activity import add_plays, seed_activity
from tests.support.slow_jobs import wait_until

ROOT = Path(__file__).resolve().parents[2]
HZ45 = str(Path(sys.executable).parent / "hz45")
ENGINES = "{ engines { name activeModel { version } } }"
pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def active_version(port: int, engine: str) -> int | None:
    """The version of ``engine`` that the API process on ``port`` serves (None while starting)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": ENGINES}).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            engines = json.load(response)["data"]["engines"]
    except OSError:
        return None
    model = next(e["activeModel"] for e in engines if e["name"] == engine)
    return model["version"] if model else None


@pytest.fixture
def env(pg_url, redis_url, tmp_path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HZ45_")}
    return clean | {"DATABASE_URL": pg_url, "REDIS_URL": redis_url, "PYTHONPATH": str(ROOT),
                    "HZ45_RECOMMENDERS__REFRESH_SECONDS": "0.5", "HZ45_EVENT_LOG_PATH": str(tmp_path / "events.jsonl")}


def start(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen:
    with log.open("w") as output:
        return subprocess.Popen([HZ45, *args], cwd=ROOT, env=env, start_new_session=True, stdout=output,
                                stderr=subprocess.STDOUT)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_two_api_processes_follow_an_activation_without_a_restart(pg_url, redis_url, env, tmp_path):
    engine = create_db_engine(pg_url)
    tracks, users = seed_activity(engine)
    add_plays(engine, [(users[i % 3], tracks[i % 5], utcnow() - timedelta(hours=i)) for i in range(30)])
    settings = Settings(database_url=pg_url, redis_url=redis_url)
    for _ in range(2):  # versions 1 and 2; the second is active
        train_engines(["demographic_popular"], force=True, settings=settings, db_engine=engine)
    ports = [free_port(), free_port()]
    servers = [start(env, "serve", "--port", str(port), log=tmp_path / f"serve-{port}.log") for port in ports]
    try:
        for port in ports:
            wait_until(lambda port=port: active_version(port, "demographic_popular") == 2, 60, f"API on {port}")
        rollback = subprocess.run([HZ45, "models", "activate", "demographic_popular", "1"], env=env, cwd=ROOT,
                                  capture_output=True, text=True)
        assert rollback.returncode == 0, rollback.stdout + rollback.stderr
        for port in ports:  # within a few refresh intervals, no restart
            wait_until(lambda port=port: active_version(port, "demographic_popular") == 1, 15, f"rollback on {port}")
        assert all(server.poll() is None for server in servers)
    finally:
        stop(servers)
        engine.dispose()


def test_two_workers_racing_on_aggregation_give_the_rows_of_a_full_rebuild(pg_url, redis_url, env, tmp_path):
    engine = create_db_engine(pg_url)
    tracks, users = seed_activity(engine)
    now = utcnow()
    add_plays(engine, [(users[i % 3], tracks[i % 5], now - timedelta(minutes=7 * i)) for i in range(200)])
    settings = Settings(database_url=pg_url, redis_url=redis_url)
    workers = [start(env, "worker", "realtime", "--heartbeat", "1", log=tmp_path / f"worker-{n}.log")
               for n in range(2)]
    try:
        jobs = []
        for round_ in range(4):  # plays keep arriving between the runs
            add_plays(engine, [(users[0], tracks[round_], now - timedelta(minutes=round_))])
            jobs += [enqueue("jobs.charts.aggregate_charts", settings) for _ in range(3)]
        wait_until(lambda: all(fetch_job(j.id, settings).status in ("finished", "failed") for j in jobs), 120,
                   "the aggregation jobs")
        assert {fetch_job(j.id, settings).status for j in jobs} == {"finished"}
    finally:
        stop(workers)
    raced = all_chart_rows(engine)
    assert sum(plays for *_, plays in raced) == 204
    aggregate_charts(full=True, database_url=pg_url)
    assert all_chart_rows(engine) == raced
    engine.dispose()
