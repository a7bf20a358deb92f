"""Serving under load: fixed arrival rates against ``hz45 serve --workers 2`` on PostgreSQL.

Sets up its own PostgreSQL database (``hz45 migrate``, ``hz45 seed-demo`` with ``--seed-args``,
e.g. ``"--scale deck"``, then ``hz45 train``: every engine and the learned mix; ``--skip-setup``
reuses it), starts the API with two uvicorn workers (default settings, Redis for jobs but no
worker, so only serving is measured) and, beside it, the same mixer call behind a bare Starlette
JSON route (``bench/support/bare_recommend.py``, two workers). Then, one operation at a time,
locust (library mode) sends requests at a fixed arrival rate for ``--seconds`` each and reports
p50/p95/p99, the achieved throughput and errors (any non-200 answer or GraphQL ``errors``).

    .venv/bin/python bench/load.py [--seconds 60] [--seed-args "--scale deck"] [--skip-setup]
        [--only recommendations,bare] [--rate recommendations=200] [--out load.json]
"""

from __future__ import annotations

import locust  # first: its gevent monkey-patching must precede the other imports

import argparse
import json
import random
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gevent
import numpy as np
from locust import task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment

sys.path.insert(0, str(Path(__file__).resolve().parent))

from soak import flush_redis, free_port, percentiles, poster, recreate_database  # noqa: E402
from support.soak_services import Services, service_env, worker_rss_mib  # noqa: E402
from support.documents import RECOMMENDATIONS, TOKENS  # noqa: E402
from support.soak_traffic import BROWSE, CHART, MY_STATS, RECORD_PLAY, SEARCH, catalog_sample  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LEARNED = RECOMMENDATIONS.replace("recommendations(k: 10)", 'recommendations(k: 10, mixName: "learned")')
RECORD_PLAYS = "mutation RecordPlays($events: [PlayInput!]!) { recordPlays(events: $events) { id } }"
BATCH = 100  # events per recordPlays request


@dataclass(frozen=True)
class Scenario:
    """One measured operation: its default arrival rate (requests/s) and target p99 (ms)."""

    name: str
    rate: float
    p99_target_ms: float | None
    signed_in: bool = True
    bare: bool = False
    events_per_request: int = 1


SCENARIOS = [
    Scenario("recommendations", 200, 50),
    Scenario("bare", 200, None, bare=True),
    Scenario("recommendations(learned)", 200, 50),
    Scenario("tracks(search)", 200, 30, signed_in=False),
    Scenario("tracks(genre)", 200, 30, signed_in=False),
    Scenario("chart(REALTIME)", 200, 30, signed_in=False),
    Scenario("myStats", 100, None),
    Scenario("recordPlay", 200, None),
    Scenario("recordPlays", 50, None, events_per_request=BATCH),
    # Floors of the stack on these cores: the emptiest GraphQL request, and a plain HTTP route.
    Scenario("{ __typename }", 400, None, signed_in=False),
    Scenario("GET /healthz", 400, None, signed_in=False),
]


class Client(FastHttpUser):
    """Sends one scenario's request; configured by :func:`run_scenario` before the run."""

    abstract = True
    scenario: Scenario
    tokens: list[str]
    catalog = None

    @task
    def one(self) -> None:
        s = self.scenario
        headers = {"Content-Type": "application/json"}
        if s.signed_in:
            headers["Authorization"] = f"Bearer {random.choice(self.tokens)}"
        if s.name == "GET /healthz":
            with self.client.get("/healthz", name=s.name, catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}")
            return
        if s.bare:
            with self.client.get("/recommend?k=10", headers=headers, name=s.name, catch_response=True) as response:
                if response.status_code != 200 or not response.json().get("items"):
                    response.failure(f"HTTP {response.status_code}: {(response.text or '')[:300]}")
            return
        query, variables = request_for(s.name, self.catalog)
        payload = json.dumps({"query": query, "variables": variables})
        with self.client.post("/graphql", data=payload, headers=headers, name=s.name, catch_response=True) as response:
            body = response.json() if response.status_code == 200 else {}
            if response.status_code != 200 or body.get("errors") or body.get("data") is None:
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:300]}")


def request_for(name: str, catalog) -> tuple[str, dict]:
    """The GraphQL document and variables of one request of scenario ``name``."""
    today = datetime.now(UTC).date()
    if name == "recommendations":
        return RECOMMENDATIONS, {}
    if name == "recommendations(learned)":
        return LEARNED, {}
    if name == "tracks(search)":
        return SEARCH, {"q": " ".join(random.sample(catalog.search_words, random.choice((1, 1, 2))))}
    if name == "tracks(genre)":
        return BROWSE, {"genre": random.choice(catalog.genres), "after": None}
    if name == "chart(REALTIME)":
        return CHART, {"kind": "REALTIME"}
    if name == "myStats":
        return MY_STATS, {"from": (today - timedelta(days=7)).isoformat(), "to": today.isoformat()}
    if name == "recordPlay":
        return RECORD_PLAY, {"id": random.choice(catalog.track_ids), "source": "load"}
    if name == "recordPlays":
        return RECORD_PLAYS, {"events": [{"trackId": random.choice(catalog.track_ids)} for _ in range(BATCH)]}
    if name == "{ __typename }":
        return "{ __typename }", {}
    raise ValueError(name)


def run_scenario(scenario: Scenario, rate: float, seconds: float, host: str, tokens: list[str], catalog) -> dict:
    """Drive ``scenario`` at ``rate`` requests/s for ``seconds``; its figures."""
    users = int(min(400, max(16, rate / 2)))
    client = type(f"Client_{abs(hash(scenario.name))}", (Client,), {
        "scenario": scenario, "tokens": tokens, "catalog": catalog,
        "wait_time": locust.constant_throughput(rate / users), "abstract": False})
    env = Environment(user_classes=[client], host=host, events=locust.events)
    samples: list[tuple[float, bool]] = []
    errors: list[str] = []

    def on_request(response_time, exception=None, **_) -> None:
        samples.append((response_time, exception is None))
        if exception is not None and len(errors) < 5:
            errors.append(str(exception)[:400])

    env.events.request.add_listener(on_request)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.sleep(min(5.0, seconds / 6))  # ramp-up: not measured
    samples.clear()
    started = time.monotonic()
    gevent.sleep(seconds)
    elapsed = time.monotonic() - started
    measured = list(samples)
    runner.quit()
    env.events.request.remove_listener(on_request)
    latencies = [ms for ms, _ in measured]
    failed = sum(not ok for _, ok in measured)
    figures = {"operation": scenario.name, "target_rate": rate, "clients": users,
               "throughput": round(len(measured) / elapsed, 1),
               "events_per_s": round(len(measured) * scenario.events_per_request / elapsed, 1),
               "errors": failed, "first_errors": errors, **percentiles(latencies),
               "p99_target_ms": scenario.p99_target_ms}
    print(f"[load] {scenario.name:26} {figures['throughput']:7.1f} req/s (target {rate:g}), "
          f"p50 {figures.get('p50_ms')} p95 {figures.get('p95_ms')} p99 {figures.get('p99_ms')} ms, "
          f"{failed} errors", flush=True)
    return figures


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="measured seconds per operation (default 60)")
    parser.add_argument("--rate", action="append", default=[], metavar="OPERATION=RATE",
                        help="arrival rate of an operation, requests/s (defaults in SCENARIOS)")
    parser.add_argument("--only", default="", help="comma-separated operations to run (default: all)")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/hz45_load_soak",
                        help="the benchmark's own database; setup recreates it (its name must contain 'soak')")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--seed-args", default="", help='arguments of hz45 seed-demo, e.g. "--scale deck"')
    parser.add_argument("--skip-setup", action="store_true")
    parser.add_argument("--tokens", type=int, default=1000, help="signed-in listeners to draw from")
    parser.add_argument("--run-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    rates = {s.name: s.rate for s in SCENARIOS} | {k: float(v) for k, v in (r.split("=", 1) for r in args.rate)}
    only = [n.strip() for n in args.only.split(",") if n.strip()]
    scenarios = [s for s in SCENARIOS if not only or s.name in only]
    run_dir = args.run_dir or Path(tempfile.mkdtemp(prefix="hz45-load-"))
    env = service_env(args.database_url, args.redis_url)
    services = Services(env, run_dir)
    flush_redis(args.redis_url)
    if not args.skip_setup:
        recreate_database(args.database_url)
        services.run("migrate")
        services.run("seed-demo", *shlex.split(args.seed_args))
        services.run("train")
    tokens = services.python(TOKENS.replace("{n}", str(args.tokens))).splitlines()
    port, bare_port = free_port(), free_port()
    services.start("serve", "serve", "--workers", "2", "--port", str(port))
    services._popen("bare", [sys.executable, "-m", "uvicorn", "support.bare_recommend:app", "--app-dir", str(ROOT / "bench"), "--workers", "2",
                             "--port", str(bare_port), "--log-level", "warning"],
                    stdout=open(run_dir / "bare.log", "w"))  # noqa: SIM115 - the child holds it
    base, bare = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bare_port}"
    try:
        wait_for(f"{base}/readyz", services)
        wait_for(f"{bare}/recommend", services, ok=(401,))
        catalog = catalog_sample(poster(base), [])
        print(f"[load] {len(tokens)} listeners, {len(catalog.track_ids)} tracks sampled, logs in {run_dir}", flush=True)
        results = [run_scenario(s, rates[s.name], args.seconds, bare if s.bare else base, tokens, catalog)
                   for s in scenarios]
        memory = worker_rss_mib(services.running["serve"].pid)
    finally:
        services.stop_all()
    by_name = {r["operation"]: r for r in results}
    ratio = None
    if "recommendations" in by_name and "bare" in by_name and by_name["bare"].get("p50_ms"):
        ratio = {q: round(by_name["recommendations"][q] / by_name["bare"][q], 2) for q in ("p50_ms", "p99_ms")}
        print(f"[load] GraphQL / bare route: p50 {ratio['p50_ms']}x, p99 {ratio['p99_ms']}x", flush=True)
    print(f"[load] API workers' RSS: {', '.join(f'{v:.0f} MiB' for v in memory.values())}", flush=True)
    report = {"command": " ".join(sys.argv), "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "seed_args": args.seed_args, "seconds": args.seconds, "results": results,
              "graphql_over_bare": ratio, "api_worker_rss_mib": [round(v, 1) for v in memory.values()]}
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))
    if any(r["errors"] for r in results):
        raise SystemExit(1)


def wait_for(url: str, services: Services, ok: tuple[int, ...] = (200,), timeout_s: float = 300) -> None:
    """Poll ``url`` until it answers one of ``ok``."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if services.exited():
            raise SystemExit(f"a service stopped while starting: {services.exited()} (logs in {services.run_dir})")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status in ok:
                    return
        except urllib.error.HTTPError as error:
            if error.code in ok:
                return
        except OSError:
            pass
        gevent.sleep(1)
    raise SystemExit(f"{url} was not ready within {timeout_s:.0f} s (logs in {services.run_dir})")


if __name__ == "__main__":
    np.random.seed(0)
    random.seed(0)
    main()
