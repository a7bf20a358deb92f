"""GraphQL's share of a ``recommendations(k: 10)`` request, in-process, one request at a time.

The same answer two ways through Starlette's test client on one database: the GraphQL query the
load benchmark sends, and the bare JSON route of ``bench/support/bare_recommend.py``. Requests
alternate between the two (so load from elsewhere falls on both alike) over random signed-in
listeners; it prints the median and p90 of each and their ratio. ``--profile`` writes a
pyinstrument profile of the GraphQL requests (HTML or text) to see where the extra time goes.

    DATABASE_URL=sqlite:///hz45.db .venv/bin/python bench/graphql_overhead.py --calls 300

The database needs trained engines (``hz45 demo`` or ``hz45 seed-demo`` then ``hz45 train``).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from starlette.testclient import TestClient  # noqa: E402
from support.documents import RECOMMENDATIONS, TOKENS  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="requests of each kind (after 20 warm-up ones)")
    parser.add_argument("--tokens", type=int, default=200, help="signed-in listeners to draw from")
    parser.add_argument("--profile", type=Path, default=None, help="write a pyinstrument profile of the GraphQL requests (.html, else text)")
    parser.add_argument("--only", choices=("graphql", "bare"), default=None,
                        help="send only one kind (to profile it with py-spy); no ratio then")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from api.app import create_app
    from support.bare_recommend import app as bare_app

    tokens = subprocess.run([sys.executable, "-c", TOKENS.replace("{n}", str(args.tokens))], check=True,
                            capture_output=True, text=True, cwd=ROOT).stdout.split()
    rng = random.Random(args.seed)
    profiler = None
    if args.profile:
        from pyinstrument import Profiler
        profiler = Profiler(async_mode="disabled")
    times: dict[str, list[float]] = {"graphql": [], "bare": []}
    payload = json.dumps({"query": RECOMMENDATIONS})
    with TestClient(create_app()) as graphql, TestClient(bare_app) as bare:
        def ask_graphql(token: str) -> None:
            response = graphql.post("/graphql", content=payload, headers={
                "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
            body = response.json()
            assert response.status_code == 200 and not body.get("errors"), body

        def ask_bare(token: str) -> None:
            response = bare.get("/recommend?k=10", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200 and response.json()["items"], response.text

        for _ in range(20):
            token = rng.choice(tokens)
            ask_graphql(token)
            ask_bare(token)
        for n in range(args.calls):
            token = rng.choice(tokens)
            order = [(name, ask) for name, ask in (("graphql", ask_graphql), ("bare", ask_bare))
                     if args.only in (None, name)]
            for name, ask in (order if n % 2 else order[::-1]):
                if profiler is not None and name == "graphql":
                    profiler.start()
                started = time.perf_counter()
                ask(token)
                times[name].append((time.perf_counter() - started) * 1000)
                if profiler is not None and name == "graphql":
                    profiler.stop()
            if (n + 1) % 100 == 0:
                print(f"[overhead] {n + 1}/{args.calls} pairs", file=sys.stderr, flush=True)
    report = {name: {"median_ms": round(statistics.median(v), 2), "p90_ms": round(percentile(v, 0.9), 2)}
              for name, v in times.items() if v}
    if args.only is None:
        report["ratio_median"] = round(report["graphql"]["median_ms"] / report["bare"]["median_ms"], 2)
        report["ratio_p90"] = round(report["graphql"]["p90_ms"] / report["bare"]["p90_ms"], 2)
    print(json.dumps(report))
    if profiler is not None:
        args.profile.write_text(profiler.output_html() if args.profile.suffix == ".html"
                                else profiler.output_text(show_all=False))
        print(f"[overhead] profile written to {args.profile}", file=sys.stderr)


if __name__ == "__main__":
    main()
