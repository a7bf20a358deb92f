"""How the cost of one recommendation answer grows with the catalog.

For each catalog size (default: 10%, 100% and 400% of the deck's 89,215 tracks; the demo
generator makes the synthetic tracks), seeds the demo generator's listeners and plays into a
SQLite file, trains the default mix's engines with default settings, then times the mixer call
that ``recommendations(k: 10)`` makes (the user's context read from the database, every member's
top picks, scores of the shared candidates, fusion, artist limits) for random listeners,
in-process, one at a time. Prints median and p99 per size and their ratio to the smallest.

    .venv/bin/python bench/catalog_growth.py [--tracks 8922,89215,356860] [--calls 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.accounts.tables import User  # noqa: E402
from domain.db import create_db_engine  # noqa: E402
from domain.migrations import upgrade  # noqa: E402
from domain.recommendations import user_context as data  # noqa: E402
from domain.recommendations.service import RecommenderService  # noqa: E402
from domain.settings import Settings  # noqa: E402
from jobs.demo_data import DemoConfig, seed_demo  # noqa: E402
from jobs.retrain import train_engines  # noqa: E402

DECK_TRACKS = 89_215


def answer_ms(service: RecommenderService, db, user_ids: list[int]) -> list[float]:
    """Latency of the mixer call for each user, in ms."""
    settings = service.settings.recommenders
    samples = []
    for user_id in user_ids:
        started = time.perf_counter()
        with Session(db) as session:
            user = session.get(User, user_id)
            listener = data.listener(session, user, settings.recent_window_days)
        service.recommend(listener.context, 10, service.resolve_mix(user_id, []), set(listener.rated))
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure(tracks: int, users: int, calls: int, directory: Path) -> dict:
    url = f"sqlite:///{directory}/catalog-{tracks}.db"
    upgrade(url)
    db = create_db_engine(url)
    started = time.perf_counter()
    print(f"[{tracks}] seeding {tracks:,} tracks, {users:,} listeners ...", flush=True)
    seed_demo(db, DemoConfig(tracks=tracks, artists=max(600, tracks // 7), users=users))
    print(f"[{tracks}] seeded in {time.perf_counter() - started:.0f} s; training the default mix ...", flush=True)
    settings = Settings(database_url=url, event_log_path=str(directory / "events.jsonl"))
    members = [e.engine for e in settings.recommenders.default_mix]
    started = time.perf_counter()
    trained = train_engines(members, settings=settings, db_engine=db)
    print(f"[{tracks}] trained {', '.join(trained)} in {time.perf_counter() - started:.0f} s", flush=True)
    service = RecommenderService(settings, db)
    service.refresh()
    rng = np.random.default_rng(0)
    answer_ms(service, db, rng.integers(1, users + 1, 30).tolist())  # warm-up
    samples = answer_ms(service, db, rng.integers(1, users + 1, calls).tolist())
    db.dispose()
    result = {"tracks": tracks, "median_ms": statistics.median(samples), "p99_ms": float(np.percentile(samples, 99))}
    print(f"[{tracks}] median {result['median_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", default=f"{DECK_TRACKS // 10},{DECK_TRACKS},{DECK_TRACKS * 4}")
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = [measure(int(n), args.users, args.calls, Path(tmp)) for n in args.tracks.split(",")]
    base = results[0]
    print("\n| tracks | median ms | p99 ms | p99 / smallest |\n| ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['tracks']:,} | {r['median_ms']:.1f} | {r['p99_ms']:.1f} | {r['p99_ms'] / base['p99_ms']:.2f} |")


if __name__ == "__main__":
    main()
