"""Latency of ``recommendations(k: 10)`` on the demo data, served from models in memory.

Seeds the demo dataset into a temporary SQLite file, trains the engines, then times
``recommendations(k: 10)`` for random signed-in users through the ASGI app (in-process
HTTP client), against a baseline of ``track(id)`` lookups in the same run.

    .venv/bin/python bench/recommendations_latency.py --calls 500 [--engines content_gmm,svd,...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.db import create_db_engine
from domain.migrations import upgrade
from domain.settings import EngineWeight, RecommenderSettings
from jobs.demo_data import seed_demo  # noqa: E402
from jobs.retrain import train_engines  # noqa: E402
from tests.support.graphql import graphql_client
from tests.support.settings import make_settings  # noqa: E402
from tests.support.accounts import sign_in  # noqa: E402

QUERY = "query($k: Int!) { recommendations(k: $k) { mixId items { track { id name } score reason contributions { engine score } } } }"
BASELINE = 'query($id: ID!) { track(id: $id) { id name artists { name } } }'


def timed(client, query, token, variables_for, calls, rng) -> list[float]:
    samples = []
    for _ in range(calls):
        variables = variables_for(rng)
        started = time.perf_counter()
        body = client.gql(query, token=token(rng), **variables)
        samples.append((time.perf_counter() - started) * 1000)
        assert "errors" not in body, body
    return samples


def summary(samples: list[float]) -> str:
    return f"median {statistics.median(samples):.2f} ms, p99 {np.percentile(samples, 99):.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--engines", default="content_gmm,demographic_popular,svd,ncf")
    parser.add_argument("--users", type=int, default=200, help="distinct signed-in users to sample")
    args = parser.parse_args()
    engines = args.engines.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        db = create_db_engine(url)
        print("demo data:", seed_demo(db))
        started = time.perf_counter()
        trained = train_engines(engines, settings=make_settings(url), db_engine=db)
        statuses = ', '.join(f"{k}: {v['status']}" for k, v in trained.items())
        print(f"trained {statuses} in {time.perf_counter() - started:.1f}s")
        mix = RecommenderSettings(default_mix=[EngineWeight(engine=e, weight=1.0) for e in engines])
        settings = make_settings(url, Path(tmp), recommenders=mix)
        tokens = [sign_in(db, uid) for uid in range(1, args.users + 1)]
        rng = np.random.default_rng(0)
        with graphql_client(settings) as client:
            timed(client, QUERY, lambda r: tokens[r.integers(len(tokens))], lambda r: {"k": 10}, 20, rng)  # warm-up
            base = timed(client, BASELINE, lambda r: None, lambda r: {"id": str(int(r.integers(1, 4000)))}, args.calls, rng)
            recs = timed(client, QUERY, lambda r: tokens[r.integers(len(tokens))], lambda r: {"k": 10}, args.calls, rng)
        print(f"engines: {','.join(engines)}; calls: {args.calls}")
        print(f"baseline track(id):        {summary(base)}")
        print(f"recommendations(k: 10):    {summary(recs)}")
        print(f"ratio of medians: {statistics.median(recs) / statistics.median(base):.2f}")
        db.dispose()


if __name__ == "__main__":
    main()
