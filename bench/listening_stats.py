"""Listening statistics over named ranges on an existing database: the rollup job and the queries.

1. Folds what the log holds beyond the watermark (``update_listening_rollups``), timed; then once
   more with nothing new; then after ``--new-plays`` plays appended now by random listeners.
2. Times ``myListening`` (``--calls`` random signed-in listeners) and ``listening`` (the whole
   service: the first answer, then the cached ones) for THIS_WEEK and ALL_TIME through
   Starlette's test client, every shape and the first page of each ranking.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/soak_deck .venv/bin/python bench/listening_stats.py

Made for the deck-scale database of ``hz45 seed-demo --scale deck``; it adds plays to it.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from support.documents import TOKENS  # noqa: E402

QUERY = ("query($r: StatsRange!) { %s(range: $r) { plays granularity activity { start plays } heatmap "
         "eras { year plays } genreHours { genre hours } topTracks(first: 10) { edges { node { plays track { name } } } } "
         "topArtists(first: 10) { edges { node { plays artist { name } } } } "
         "topGenres(first: 10) { edges { node { genre plays } } } "
         "newArtists(first: 10) { edges { node { firstDay artist { name } } } } } }")


def timed_fold() -> dict:
    from jobs.listening_stats import update_listening_rollups

    started = time.perf_counter()
    report = update_listening_rollups()
    return {"seconds": round(time.perf_counter() - started, 2), "plays": report.get("plays", 0),
            "rows": report.get("rows", 0)}


def append_plays(n: int, seed: int) -> None:
    from domain.db import create_db_engine
    from domain.plays.tables import PlayEvent
    from domain.settings import get_settings

    engine = create_db_engine(get_settings().database_url)
    rng = random.Random(seed)
    with engine.begin() as conn:
        users = conn.execute(sa.text("select id from app_user")).scalars().all()
        tracks = conn.execute(sa.text("select id from track")).scalars().all()
        now = datetime.now(UTC)
        conn.execute(sa.insert(PlayEvent.__table__), [
            {"user_id": rng.choice(users), "track_id": rng.choice(tracks), "played_at": now, "source": "bench"}
            for _ in range(n)])
    engine.dispose()


def time_queries(calls: int, seed: int) -> dict:
    from starlette.testclient import TestClient

    from api.app import create_app

    tokens = subprocess.run([sys.executable, "-c", TOKENS.replace("{n}", str(max(calls, 1)))], check=True,
                            capture_output=True, text=True, cwd=ROOT).stdout.split()
    rng = random.Random(seed)
    results = {}
    with TestClient(create_app()) as client:
        def ask(field: str, stats_range: str, token: str | None) -> float:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            started = time.perf_counter()
            body = client.post("/graphql", json={"query": QUERY % field, "variables": {"r": stats_range}},
                               headers=headers).json()
            assert not body.get("errors"), body["errors"]
            return (time.perf_counter() - started) * 1000

        for stats_range in ("THIS_WEEK", "ALL_TIME"):
            mine = [ask("myListening", stats_range, rng.choice(tokens)) for _ in range(calls)]
            results[f"myListening {stats_range}"] = {"median_ms": round(statistics.median(mine), 1),
                                                     "max_ms": round(max(mine), 1)}
            overall = [ask("listening", stats_range, None) for _ in range(calls)]
            results[f"listening {stats_range}"] = {"first_ms": round(overall[0], 1),
                                                   "median_ms": round(statistics.median(overall[1:]), 1)}
            print(f"[listening] {stats_range}: {results[f'myListening {stats_range}']}, "
                  f"{results[f'listening {stats_range}']}", file=sys.stderr, flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-plays", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    report = {"pending": timed_fold()}
    print(f"[listening] fold of the pending log: {report['pending']}", file=sys.stderr, flush=True)
    report["nothing_new"] = timed_fold()
    append_plays(args.new_plays, args.seed)
    report["new_plays"] = timed_fold()
    print(f"[listening] nothing new: {report['nothing_new']}; {args.new_plays} new plays: {report['new_plays']}",
          file=sys.stderr, flush=True)
    report["queries"] = time_queries(args.calls, args.seed)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
