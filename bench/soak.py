"""Soak benchmark: minutes of mixed frontend traffic against ``hz45 serve --workers 2`` on PostgreSQL.

Sets up the demo data in its own PostgreSQL database (``hz45 migrate``, ``hz45 seed-demo``,
``hz45 train``; ``--skip-setup`` reuses it), starts the API with two uvicorn workers, an RQ
worker and the cron scheduler (charts every 100 s) on a Redis database of its own, then runs
locust (library mode) with concurrent clients: anonymous visitors (search, genre pages, track
pages, charts) and listeners signed in with the demo logins (recommendations, similar tracks,
stats, plays, playlist adds, removals and ratings). Reports requests, errors, latency
percentiles overall and per operation, throughput and the API workers' resident memory each
minute; exits 1 when any request failed or a service stopped. Default settings (no HZ45_CONFIG).

    .venv/bin/python bench/soak.py [--minutes 10] [--clients 8] [--skip-setup] [--out soak.json]
"""

from __future__ import annotations

import locust  # first: its gevent monkey-patching must precede the other imports

import argparse
import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gevent
import numpy as np
from locust.env import Environment

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.soak_services import Services, service_env, worker_rss_mib  # noqa: E402
from support.soak_traffic import Browser, Listener, catalog_sample  # noqa: E402

DEMO_LOGINS = ("from domain.accounts.demo_logins import DEMO_ADMIN, ensure_demo_login\n"
               "from domain.db import create_db_engine\nfrom domain.settings import get_settings\n"
               "user = ensure_demo_login(create_db_engine(get_settings().database_url))\n"
               "print(f'{user.nickname} {user.password}\\n{DEMO_ADMIN.nickname} {DEMO_ADMIN.password}')")
CURRENT_WINDOW = "query($from: DateTime!, $to: DateTime!) { chartWindows(from: $from, to: $to) { windowStart plays } }"
KEEP_ERRORS = 10


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10, help="length of the load (default 10)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--signed-in", type=int, default=None, help="of which signed in (default half)")
    parser.add_argument("--think", default="0.1,0.5", help="each client's pause between requests, MIN,MAX s")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/hz45_soak",
                        help="the soak's own database; setup drops and recreates it (its name must contain 'soak')")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7",
                        help="a Redis database for the soak alone (flushed at start; not database 0)")
    parser.add_argument("--port", type=int, default=0, help="API port (default: a free one)")
    parser.add_argument("--skip-setup", action="store_true", help="reuse a database already seeded and trained")
    parser.add_argument("--sample-seconds", type=float, default=60, help="memory and progress sampling interval")
    parser.add_argument("--run-dir", type=Path, default=None, help="working directory and logs of the services")
    parser.add_argument("--out", type=Path, default=None, help="write the report as JSON here")
    return parser.parse_args()


def recreate_database(url: str) -> None:
    """Drop and create the soak's database (PostgreSQL command-line tools, on the URL's server)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if "soak" not in (parsed.database or ""):
        raise SystemExit(f"refusing to recreate {parsed.database!r}: the soak's database name must contain 'soak'")
    server = ["-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432), "-U", parsed.username or "postgres"]
    subprocess.run(["dropdb", *server, "--if-exists", "--force", parsed.database], check=True)
    subprocess.run(["createdb", *server, parsed.database], check=True)
    print(f"[setup] database {parsed.database} created", flush=True)


def flush_redis(url: str) -> None:
    """Empty the soak's Redis database (queues, registries, the cron scheduler's keys)."""
    import redis

    client = redis.Redis.from_url(url)
    if client.connection_pool.connection_kwargs.get("db", 0) == 0:
        raise SystemExit("use a Redis database of the soak's own (e.g. redis://127.0.0.1:6379/7), not database 0")
    client.flushdb()
    client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def poster(base: str):
    """``post(query, variables)`` -> JSON body, for requests outside the measured traffic."""
    def post(query: str, variables: dict) -> dict:
        body = json.dumps({"query": query, "variables": variables}).encode()
        request = urllib.request.Request(f"{base}/graphql", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    return post


def wait_ready(base: str, services: Services, timeout_s: float = 180) -> dict:
    """Poll ``/readyz`` until it answers 200; returns its checks."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if services.exited():
            raise SystemExit(f"a service stopped while starting: {services.exited()} (logs in {services.run_dir})")
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=5) as response:
                return json.load(response)["checks"]
        except OSError:
            gevent.sleep(1)
    raise SystemExit(f"the API was not ready within {timeout_s:.0f} s (logs in {services.run_dir})")


def current_window_plays(post) -> dict | None:
    """The aggregated plays of the current hour's chart window (what the cron's aggregation wrote)."""
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    try:
        windows = post(CURRENT_WINDOW, {"from": hour.isoformat(), "to": (hour + timedelta(hours=1)).isoformat()})
        rows = windows["data"]["chartWindows"]
    except (OSError, KeyError, TypeError):
        return None
    return {"window_start": hour.isoformat(), "plays": rows[0]["plays"] if rows else 0}


def percentiles(samples: list[float]) -> dict:
    if not samples:
        return {"count": 0}
    p50, p95, p99 = np.percentile(samples, [50, 95, 99])
    return {"count": len(samples), "p50_ms": round(p50, 2), "p95_ms": round(p95, 2), "p99_ms": round(p99, 2),
            "max_ms": round(max(samples), 2)}


class Recorder:
    """Every request's operation, latency and outcome, from locust's request event."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, str, float, bool]] = []  # (seconds since start, name, ms, ok)
        self.errors: list[dict] = []
        self.started = time.monotonic()

    def on_request(self, request_type, name, response_time, response_length, exception=None, **_) -> None:
        at = time.monotonic() - self.started
        self.samples.append((at, name, response_time, exception is None))
        if exception is not None and len(self.errors) < KEEP_ERRORS:
            self.errors.append({"at_s": round(at, 1), "operation": name, "error": str(exception)[:600]})

    def window(self, since_s: float) -> list[tuple[float, str, float, bool]]:
        return [s for s in self.samples if s[0] >= since_s]


def job_outcomes(redis_url: str) -> dict:
    """Finished and failed RQ jobs by function (scheduled runs enqueue the real job)."""
    import redis
    from rq import Queue
    from rq.job import Job

    connection = redis.Redis.from_url(redis_url)
    outcomes: dict[str, dict] = {}
    for name in ("realtime", "default", "training"):
        queue = Queue(name, connection=connection)
        for state, registry in (("finished", queue.finished_job_registry), ("failed", queue.failed_job_registry)):
            for job in Job.fetch_many(registry.get_job_ids(), connection=connection):
                if job is None:
                    continue
                entry = outcomes.setdefault(job.func_name, {"finished": 0, "failed": 0})
                entry[state] += 1
                if state == "failed":
                    entry.setdefault("last_error", (job.latest_result().exc_string or "").strip().splitlines()[-1:])
    connection.close()
    return outcomes


def log_problems(run_dir: Path, limit: int = 5) -> dict:
    """Tracebacks and ERROR lines in the services' logs: a count and the first few, per log."""
    found = {}
    for log in sorted(run_dir.glob("*.log")):
        lines = [ln.rstrip() for ln in log.read_text(errors="replace").splitlines()
                 if "Traceback" in ln or " ERROR " in ln or ln.startswith("ERROR")]
        if lines:
            found[log.stem] = {"count": len(lines), "first": lines[:limit]}
    return found


def run_load(args, base: str, services: Services, post) -> dict:
    """Run the clients for ``--minutes``, sampling memory and progress; returns the raw figures."""
    low, high = (float(x) for x in args.think.split(","))
    signed_in = args.clients // 2 if args.signed_in is None else args.signed_in
    Browser.fixed_count, Listener.fixed_count = args.clients - signed_in, signed_in
    for cls in (Browser, Listener):
        cls.wait_time = locust.between(low, high)
    env = Environment(user_classes=[Browser, Listener], host=base, events=locust.events)
    recorder = Recorder()
    env.events.request.add_listener(recorder.on_request)
    serve_pid = services.running["serve"].pid
    memory = [{"at_s": 0.0, "workers_mib": worker_rss_mib(serve_pid)}]
    charts = [{"at_s": 0.0, **(current_window_plays(post) or {})}]
    intervals, interrupted = [], False
    duration = args.minutes * 60
    runner = env.create_local_runner()
    recorder.started = time.monotonic()
    runner.start(args.clients, spawn_rate=args.clients)
    try:
        last_tick, next_tick = 0.0, args.sample_seconds
        while True:
            target = min(next_tick, duration)
            gevent.sleep(max(0.0, target - (time.monotonic() - recorder.started)))
            at = round(time.monotonic() - recorder.started, 1)
            recent = recorder.window(last_tick)
            interval = {"until_s": at, "requests": len(recent), "errors": sum(not ok for *_, ok in recent),
                      **{k: v for k, v in percentiles([ms for _, _, ms, _ in recent]).items() if k != "count"}}
            intervals.append(interval)
            memory.append({"at_s": at, "workers_mib": worker_rss_mib(serve_pid)})
            charts.append({"at_s": at, **(current_window_plays(post) or {})})
            print(f"[load] {at:6.0f} s  {len(recorder.samples)} requests, "
                  f"{sum(not s[3] for s in recorder.samples)} errors, interval p95 {interval.get('p95_ms', '-')} ms, "
                  f"API workers {sum(memory[-1]['workers_mib'].values()):.1f} MiB", flush=True)
            if services.exited():
                print(f"[load] services stopped: {services.exited()}", flush=True)
                break
            if target >= duration:
                break
            last_tick, next_tick = at, next_tick + args.sample_seconds
    except KeyboardInterrupt:
        interrupted = True
        print("[load] interrupted: stopping the clients and reporting what was measured", flush=True)
    elapsed = time.monotonic() - recorder.started
    runner.quit()
    if memory[-1]["at_s"] < elapsed - 1:
        memory.append({"at_s": round(elapsed, 1), "workers_mib": worker_rss_mib(serve_pid)})
    return {"recorder": recorder, "elapsed_s": elapsed, "memory": memory, "charts": charts,
            "intervals": intervals, "interrupted": interrupted, "signed_in": signed_in,
            "exceptions": [{"count": e["count"], "error": e["msg"]} for e in runner.exceptions.values()]}


def report(args, raw: dict, services: Services, readiness: dict) -> dict:
    """The figures as one JSON-able dict."""
    recorder = raw["recorder"]
    by_name: dict[str, list[float]] = {}
    failed: dict[str, int] = {}
    for _, name, ms, ok in recorder.samples:
        by_name.setdefault(name, []).append(ms)
        failed[name] = failed.get(name, 0) + (not ok)
    errors = sum(failed.values()) + sum(e["count"] for e in raw["exceptions"])
    memory = [{"at_s": m["at_s"], "total_mib": round(sum(m["workers_mib"].values()), 1),
               "workers_mib": {str(pid): round(v, 1) for pid, v in m["workers_mib"].items()}} for m in raw["memory"]]
    pids = [set(m["workers_mib"]) for m in memory]
    return {
        "command": " ".join(sys.argv),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "clients": {"total": args.clients, "signed_in": raw["signed_in"], "think_s": args.think},
        "load_seconds": round(raw["elapsed_s"], 1),
        "interrupted": raw["interrupted"],
        "requests": len(recorder.samples),
        "errors": errors,
        "error_examples": recorder.errors,
        "client_exceptions": raw["exceptions"],
        "throughput_rps": round(len(recorder.samples) / raw["elapsed_s"], 2) if raw["elapsed_s"] else 0,
        "latency": {"overall": percentiles([s[2] for s in recorder.samples]),
                    "per_operation": {n: {**percentiles(v), "errors": failed[n]} for n, v in sorted(by_name.items())},
                    "per_interval": raw["intervals"]},
        "serve_workers_rss": {"samples": memory, "start_mib": memory[0]["total_mib"], "end_mib": memory[-1]["total_mib"],
                              "growth_mib": round(memory[-1]["total_mib"] - memory[0]["total_mib"], 1),
                              # Without the first interval, where start-up allocations settle.
                              "growth_after_first_sample_mib": round(memory[-1]["total_mib"] - memory[1]["total_mib"], 1)
                              if len(memory) > 2 else None,
                              "worker_pids_changed": any(p != pids[0] for p in pids)},
        "current_hour_chart_plays": raw["charts"],
        "jobs": job_outcomes(args.redis_url),
        "services_stopped": services.exited(),
        "log_problems": log_problems(services.run_dir),
        "readiness_at_start": readiness,
        "run_dir": str(services.run_dir),
    }


def print_report(result: dict) -> None:
    rss = result["serve_workers_rss"]
    print(f"\nsoak: {result['load_seconds']} s, {result['clients']['total']} clients "
          f"({result['clients']['signed_in']} signed in)")
    print(f"requests {result['requests']}, errors {result['errors']}, throughput {result['throughput_rps']} req/s")
    print(f"{'operation':24} {'count':>7} {'err':>4} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    rows = {**result["latency"]["per_operation"], "overall": {**result["latency"]["overall"], "errors": result["errors"]}}
    for name, row in rows.items():
        print(f"{name:24} {row['count']:7d} {row['errors']:4d} {row.get('p50_ms', 0):8.1f} "
              f"{row.get('p95_ms', 0):8.1f} {row.get('p99_ms', 0):8.1f}")
    print("API workers' RSS (MiB): " + ", ".join(f"{m['at_s']:.0f} s {m['total_mib']}" for m in rss["samples"])
          + f"; growth {rss['growth_mib']:+.1f} MiB"
          + (f" ({rss['growth_after_first_sample_mib']:+.1f} MiB since the first sample)"
             if rss["growth_after_first_sample_mib"] is not None else "")
          + (" (worker pids changed!)" if rss["worker_pids_changed"] else ""))
    print("current-hour chart plays: " + ", ".join(f"{c['at_s']:.0f} s {c.get('plays', '?')}"
                                                   for c in result["current_hour_chart_plays"]))
    print("jobs: " + (", ".join(f"{k} {v['finished']} ok/{v['failed']} failed" for k, v in result["jobs"].items()) or "none"))
    for example in result["error_examples"][:5]:
        print(f"error at {example['at_s']} s in {example['operation']}: {example['error'][:300]}")
    for exc in result["client_exceptions"][:3]:
        print(f"client exception x{exc['count']}: {exc['error'][:300]}")
    if result["services_stopped"]:
        print(f"services stopped during the run: {result['services_stopped']}")
    for log, problems in result["log_problems"].items():
        print(f"{log}.log: {problems['count']} error lines, first: {problems['first'][0][:200]}")
    print(f"logs: {result['run_dir']}")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, _interrupt)
    # Ctrl-C reaches this greenlet as KeyboardInterrupt without gevent printing it as a crash.
    hub = gevent.get_hub()
    hub.NOT_ERROR = (*hub.NOT_ERROR, KeyboardInterrupt)
    run_dir = args.run_dir or Path(tempfile.mkdtemp(prefix="hz45-soak-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    services = Services(service_env(args.database_url, args.redis_url), run_dir)
    try:
        flush_redis(args.redis_url)
        if not args.skip_setup:
            started = time.monotonic()
            recreate_database(args.database_url)
            services.run("migrate")
            services.run("seed-demo")
            services.run("train")
            print(f"[setup] done in {time.monotonic() - started:.0f} s", flush=True)
        logins = [tuple(line.split(" ", 1)) for line in services.python(DEMO_LOGINS).splitlines()[-2:]]
        port = args.port or free_port()
        base = f"http://127.0.0.1:{port}"
        print(f"[start] hz45 serve --workers 2 on {base}, hz45 worker, hz45 cron (logs in {run_dir})", flush=True)
        services.start("serve", "serve", "--port", str(port), "--workers", "2")
        services.start("worker", "worker")
        services.start("cron", "cron")
        readiness = wait_ready(base, services)
        print(f"[start] ready: {readiness}", flush=True)
        post = poster(base)
        Browser.catalog = Listener.catalog = catalog_sample(post, logins)
        if not Browser.catalog.track_ids:
            raise SystemExit("the database has no catalog: run without --skip-setup")
        print(f"[load] {args.clients} clients for {args.minutes:g} min", flush=True)
        raw = run_load(args, base, services, post)
        result = report(args, raw, services, readiness)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        services.stop_all()
    print_report(result)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"report written to {args.out}")
    if result["interrupted"]:
        return 130
    return 1 if result["errors"] or result["services_stopped"] else 0


if __name__ == "__main__":
    sys.exit(main())
