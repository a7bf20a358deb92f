"""Retraining against the charts: do the realtime chart runs keep their schedule while a retrain runs?

Seeds the demo dataset into a PostgreSQL database of its own (``hz45 migrate``, ``hz45 seed-demo``;
``--skip-setup`` reuses it), starts ``hz45 worker`` (``--no-split``: the single worker on every
queue, as before) and ``hz45 cron`` (charts every ``--chart-seconds``) on a Redis database of its
own, waits for the first chart run, enqueues a real retrain (``jobs.retrain.retrain``) and records
when each chart run (``jobs.charts.aggregate_charts``) was enqueued and started until one chart
interval after the retrain ended. Prints the intervals between chart starts against the retrain's
duration; exits 1 when the retrain failed or an interval overran the schedule by more than
``--slack`` seconds.

    .venv/bin/python bench/retrain_vs_charts.py [--users 2000] [--tracks 4000] [--engine NAME]
        [--chart-seconds 100] [--no-split] [--skip-setup]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from support.soak_services import Services, service_env  # noqa: E402

CHARTS = "jobs.charts.aggregate_charts"
RETRAIN = "jobs.retrain.retrain"
SCHEDULED = "jobs.schedule.run_scheduled"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=2000, help="demo listeners (default 2000, hz45 seed-demo's)")
    parser.add_argument("--tracks", type=int, default=4000, help="demo tracks (default 4000)")
    parser.add_argument("--engine", default=None, help="retrain this engine only (default: all, as the cron does)")
    parser.add_argument("--chart-seconds", type=int, default=100, help="the charts' schedule (default 100)")
    parser.add_argument("--slack", type=float, default=30, help="allowed overrun of a chart interval, s (default 30)")
    parser.add_argument("--no-split", action="store_true", help="run `hz45 worker --no-split` (one worker)")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/hz45_retrain_bench",
                        help="the bench's own database; setup drops and recreates it (its name must contain 'bench')")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8",
                        help="a Redis database for the bench alone (flushed at start; not database 0)")
    parser.add_argument("--skip-setup", action="store_true", help="reuse a database already seeded")
    parser.add_argument("--run-dir", type=Path, default=None, help="working directory and logs of the services")
    return parser.parse_args()


def recreate_database(url: str) -> None:
    """Drop and create the bench's database on the URL's server."""
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    if "bench" not in (parsed.database or ""):
        raise SystemExit(f"refusing to recreate {parsed.database!r}: the bench's database name must contain 'bench'")
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    print(f"[setup] database {parsed.database} created", flush=True)


def redis_for_the_bench(url: str):
    """A client on the bench's Redis database, emptied (queues, registries, the cron's keys)."""
    from domain.jobs.queues import redis_connection

    connection = redis_connection(url)
    if connection.connection_pool.connection_kwargs.get("db", 0) == 0:
        raise SystemExit("use a Redis database of the bench's own (e.g. redis://127.0.0.1:6379/8), not database 0")
    connection.flushdb()
    return connection


def chart_runs(connection) -> dict[str, tuple[datetime, datetime]]:
    """Every chart job on the realtime queue that has started: id -> (when the cron asked for it,
    when it started). The cron enqueues ``run_scheduled``, which enqueues the chart job and returns
    its id: a wrapper held in the queue delays the chart job's own enqueueing too."""
    from rq.job import Job
    from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry

    ids = {job_id for registry in (StartedJobRegistry, FinishedJobRegistry, FailedJobRegistry)
           for job_id in registry("realtime", connection=connection).get_job_ids()}
    jobs = [job for job in Job.fetch_many(sorted(ids), connection=connection) if job is not None]
    asked = {job.return_value(): job.enqueued_at for job in jobs
             if job.func_name == SCHEDULED and job.kwargs.get("func_path") == CHARTS and job.get_status() == "finished"}
    return {job.id: (asked.get(job.id, job.enqueued_at), job.started_at)
            for job in jobs if job.func_name == CHARTS and job.started_at}


def report(retrain, runs: list[tuple[datetime, datetime]], args) -> bool:
    """Print the chart starts around the retrain; returns whether the charts kept their schedule."""
    start, end, status = retrain.started_at, retrain.ended_at, retrain.get_status().value
    duration = (end - start).total_seconds()
    print(f"\nretrain ({args.engine or 'all engines'}): {status} in {duration:.0f} s "
          f"(waited {(start - retrain.enqueued_at).total_seconds():.0f} s in its queue)")
    # the last run before the retrain, those during it, and the first after it
    before = [run for run in runs if run[1] < start][-1:]
    during = [run for run in runs if start <= run[1] <= end]
    after = [run for run in runs if run[1] > end][:1]
    print(f"chart runs around the retrain (schedule: every {args.chart_seconds} s)")
    print(f"{'started, s after retrain start':>31} {'wait since cron, s':>19} {'interval, s':>12}")
    worst, previous = 0.0, None
    for enqueued, started in before + during + after:
        interval = (started - previous).total_seconds() if previous else None
        worst = max(worst, interval or 0.0)
        print(f"{(started - start).total_seconds():>31.1f} {(started - enqueued).total_seconds():>19.1f} "
              f"{'' if interval is None else f'{interval:.1f}':>12}")
        previous = started
    ok = status == "finished" and worst <= args.chart_seconds + args.slack
    print(f"{len(during)} chart runs during the {duration:.0f} s retrain; longest interval {worst:.1f} s "
          f"(allowed {args.chart_seconds + args.slack:.0f}) -> {'OK' if ok else 'CHARTS HELD BACK'}")
    return ok


def watch(connection, services: Services, retrain_id: str, args):
    """Print each chart run as it starts and the retrain's progress, until one chart interval (and
    the slack) after the retrain ended; returns the retrain's job."""
    from rq.job import Job

    job, seen, status, done_at, last_line = Job.fetch(retrain_id, connection=connection), set(), None, None, 0.0
    while done_at is None or time.monotonic() - done_at < args.chart_seconds + args.slack:
        if services.exited():
            raise SystemExit(f"a service stopped: {services.exited()} (logs in {services.run_dir})")
        previous, status = status, job.get_status(refresh=True).value
        runs = sorted(chart_runs(connection).items(), key=lambda item: item[1][1])
        for job_id, (asked, began) in runs:
            if job_id not in seen:
                seen.add(job_id)
                last_line = time.monotonic()
                print(f"[run] chart run started at {began:%H:%M:%S}, {(began - asked).total_seconds():.1f} s "
                      f"after the cron asked for it; retrain {status}", flush=True)
        if status != previous or time.monotonic() - last_line > 60:
            last_line = time.monotonic()
            print(f"[run] retrain {status}", flush=True)
        if done_at is None and status in ("finished", "failed", "stopped", "canceled"):
            done_at = time.monotonic()
            print("[run] watching one more chart interval", flush=True)
        time.sleep(1)
    job.refresh()
    return job


def main() -> int:
    args = parse_args()
    from domain.jobs.queues import enqueue_rq

    run_dir = args.run_dir or Path(tempfile.mkdtemp(prefix="hz45-retrain-bench-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    env = service_env(args.database_url, args.redis_url) | {
        "HZ45_SCHEDULE__AGGREGATE_CHARTS_SECONDS": str(args.chart_seconds)}
    services = Services(env, run_dir)
    connection = redis_for_the_bench(args.redis_url)
    try:
        if not args.skip_setup:
            recreate_database(args.database_url)
            services.run("migrate")
            services.run("seed-demo", "--users", str(args.users), "--tracks", str(args.tracks))
        worker = ["worker", "--no-split"] if args.no_split else ["worker"]
        print(f"[start] hz45 {' '.join(worker)}, hz45 cron (logs in {run_dir})", flush=True)
        services.start("worker", *worker)
        services.start("cron", "cron")
        started = time.monotonic()
        while not chart_runs(connection):
            if services.exited() or time.monotonic() - started > 120:
                raise SystemExit(f"no chart run within 120 s ({services.exited()}; logs in {run_dir})")
            time.sleep(1)
        retrain = enqueue_rq(connection, RETRAIN, {"engine": args.engine} if args.engine else {})
        print(f"[run] retrain {retrain.id} enqueued", flush=True)
        job = watch(connection, services, retrain.id, args)
        ok = report(job, sorted(chart_runs(connection).values(), key=lambda run: run[1]), args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        services.stop_all()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
