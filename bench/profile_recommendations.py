"""Profile ``recommendations(k: 10)`` with the default mix (or another ``--operation``): py-spy on a real ``hz45 serve``.

Seeds the demo into a SQLite file (kept with ``--db``), trains every engine and the learned
mix when the file has no models yet, starts ``hz45 serve`` (default settings) and records it
with py-spy (every thread) while ``--clients`` threads send ``--calls`` requests for random
signed-in demo listeners; prints the latencies and the project's most expensive functions.
The hot paths it shows are what ``docs/benchmarks.md`` records before and after each fix.

    .venv/bin/python bench/profile_recommendations.py --db /tmp/hz45-profile.db --calls 600 --clients 4
    .venv/bin/python bench/profile_recommendations.py --database-url postgresql+psycopg://...  (already trained)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.db import create_db_engine  # noqa: E402
from domain.migrations import upgrade  # noqa: E402
from jobs.demo_data import seed_demo  # noqa: E402
from jobs.retrain import train_engines  # noqa: E402
from tests.support.accounts import sign_in  # noqa: E402
from tests.support.settings import make_settings  # noqa: E402

HZ45 = str(Path(sys.executable).with_name("hz45"))
PY_SPY = str(Path(sys.executable).with_name("py-spy"))

QUERY = ("query($k: Int!) { recommendations(k: $k) { mixId items { track { id name } score reason "
         "contributions { engine score } } } }")
TRACK_FIELDS = "id name popularity artists { name } genres"
OPERATIONS = {  # --operation: (document, variables), as the load benchmark sends them
    "recommendations": (QUERY, {"k": 10}),
    "genre": (f'query {{ tracks(genre: "pop", first: 20) {{ edges {{ cursor node {{ {TRACK_FIELDS} }} }} '
              "pageInfo { endCursor hasNextPage } } }", {}),
    "search": (f'query {{ tracks(search: "love", first: 20) {{ totalCount edges {{ node {{ {TRACK_FIELDS} }} }} }} }}', {}),
}


def prepare(path: Path) -> None:
    """A demo database with every default engine trained, at ``path`` (kept between runs)."""
    url = f"sqlite:///{path}"
    upgrade(url)
    db = create_db_engine(url)
    with db.connect() as conn:
        tracks = conn.execute(sa.text("select count(*) from track")).scalar()
        models = conn.execute(sa.text("select count(*) from model_version")).scalar()
    if not tracks:
        print("seeding the demo ...", file=sys.stderr, flush=True)
        print("demo data:", seed_demo(db), file=sys.stderr)
    if not models:
        print("training every engine and the learned mix ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        trained = train_engines(settings=make_settings(url), db_engine=db)
        statuses = ", ".join(f"{k}: {v['status']}" for k, v in trained.items())
        print(f"trained {statuses} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    db.dispose()


PROJECT = ("api/", "domain/", "engines/", "plugins/", "jobs/")
IDLE = ("Condition.wait (threading.py", "select (selectors.py", "_worker (concurrent", "Runner.run (asyncio/runners.py")


def hot_functions(collapsed: Path, top: int) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """From a py-spy collapsed-stack file: the project's functions by inclusive share of the busy
    samples, and every function by its own share, the most expensive first."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    busy = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if frames[-1].startswith(IDLE):
            continue
        busy += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
        own[frames[-1]] += int(count)
    ours = [(f, n / busy) for f, n in inclusive.most_common() if f.partition("(")[2].startswith(PROJECT)]
    return ours[:top], [(f, n / busy) for f, n in own.most_common(top)]


def load(url: str, tokens: list[str], calls: int, clients: int, operation: str = "recommendations") -> list[float]:
    """``calls`` requests of ``operation`` from ``clients`` threads; the latencies in ms."""
    query, variables = OPERATIONS[operation]
    rng = np.random.default_rng(0)
    chosen = [tokens[i] for i in rng.integers(len(tokens), size=calls)]

    def one(token: str) -> float:
        started = time.perf_counter()
        response = httpx.post(url, json={"query": query, "variables": variables},
                              headers={"authorization": f"Bearer {token}"}, timeout=60)
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, response.text
        return (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(one, chosen))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/hz45-profile.db"))
    parser.add_argument("--calls", type=int, default=600)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--users", type=int, default=500, help="distinct signed-in listeners to sample")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--operation", choices=sorted(OPERATIONS), default="recommendations")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--set", action="append", default=[], metavar="HZ45_X=VALUE",
                        help="a setting for the server (default: none, the default configuration)")
    parser.add_argument("--database-url", help="profile on this seeded and trained database instead (e.g. the deck "
                        "scale kept by bench/training_cost.py --keep)")
    parser.add_argument("--ready-timeout", type=float, default=120, help="seconds to wait for the server's models")
    args = parser.parse_args()
    if args.database_url:
        database_url = args.database_url
    else:
        prepare(args.db)
        database_url = f"sqlite:///{args.db}"
    db = create_db_engine(database_url)
    tokens = [sign_in(db, uid) for uid in range(1, args.users + 1)]
    db.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HZ45_")} | {
        "DATABASE_URL": database_url, "HZ45_EVENT_LOG_PATH": str(args.db.with_suffix(".events.jsonl"))} | dict(
        item.split("=", 1) for item in args.set)
    server = subprocess.Popen([HZ45, "serve", "--port", str(args.port)], env=env, start_new_session=True)
    url = f"http://127.0.0.1:{args.port}/graphql"
    try:
        wait_until_ready(f"http://127.0.0.1:{args.port}/readyz", server, args.ready_timeout)
        load(url, tokens, 40, args.clients, args.operation)  # warm-up
        with tempfile.TemporaryDirectory() as tmp:
            collapsed = Path(tmp) / "stacks.txt"
            spy = subprocess.Popen([PY_SPY, "record", "--format", "raw", "--function", "--gil", "--rate", "250", "--nonblocking",
                                    "-o", str(collapsed), "-p", str(server.pid)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
            print(f"profiling {args.calls} calls from {args.clients} clients ...", file=sys.stderr, flush=True)
            samples = load(url, tokens, args.calls, args.clients, args.operation)
            spy.send_signal(signal.SIGINT)
            spy.wait(60)
            hot = hot_functions(collapsed, args.top)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    print(f"{args.calls} calls, {args.clients} clients: median {statistics.median(samples):.2f} ms, "
          f"p99 {np.percentile(samples, 99):.2f} ms")
    ours, own = hot
    print("share of the server's busy samples (idle waits left out), inclusive, project functions:")
    for function, share in ours:
        print(f"{share:7.1%}  {function}")
    print("own time, any function:")
    for function, share in own:
        print(f"{share:7.1%}  {function}")


def wait_until_ready(url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    """Block until ``url`` answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"hz45 serve exited with status {server.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=5).status_code == 200:
                return
        time.sleep(0.5)
    raise SystemExit("hz45 serve did not become ready")


if __name__ == "__main__":
    main()
