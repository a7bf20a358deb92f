"""Hourly chart aggregation at scale on PostgreSQL.

    nice .venv/bin/python bench/aggregation_scale.py [--events 1000000] [--ten-million] [--url URL]

Creates a throw-away database on the server of URL (default: the local PostgreSQL), fills it
with plays spread over 30 days ending now (generate_series, 5,000 tracks, 20,000 users), then
times: a full rebuild of every window (``aggregate_charts(full=True)``); one hand-written
``GROUP BY hour, track`` over the same rows (the floor any rebuild pays); and an incremental run
after 10,000 new plays in the current hour. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support.scratch_db import scratch_database
from domain.db import create_db_engine
from jobs.charts import aggregate_charts

TRACKS, USERS, DAYS, NEW_EVENTS = 5_000, 20_000, 30, 10_000


def _seed(conn, events: int) -> None:
    conn.execute(sa.text(
        "INSERT INTO track (spotify_id, name, popularity, explicit, audio_features_status, updated_at) "
        "SELECT 'bench' || i, 'Track ' || i, i % 100, false, 'missing', now() FROM generate_series(1, :n) i"),
        {"n": TRACKS})
    conn.execute(sa.text(
        "INSERT INTO app_user (nickname, name, birth_date, gender, password_hash, is_admin, created_at) "
        "SELECT 'user' || i, 'User ' || i, date '1970-01-01' + (i % 15000), "
        "(ARRAY['FEMALE','MALE','OTHER'])[1 + i % 3], '!unusable', false, now() FROM generate_series(1, :n) i"),
        {"n": USERS})
    _plays(conn, events, f"{DAYS} days")


def _plays(conn, events: int, span: str) -> None:
    # Popularity is skewed (cube of a uniform draw) so charts have a head and a long tail.
    conn.execute(sa.text(
        "INSERT INTO play_event (user_id, track_id, played_at, source) "
        "SELECT 1 + (i::bigint * 7919) % :users, 1 + floor(power(random(), 3) * :tracks)::int, "
        "timezone('UTC', now()) - cast(:span AS interval) * (1 - i::float8 / :n), 'bench' "
        "FROM generate_series(1, :n) i"),
        {"users": USERS, "tracks": TRACKS, "n": events, "span": span})


def _timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def run(admin_url: str, events: int) -> dict:
    """Seed ``events`` plays in a fresh database and time the three aggregations."""
    with scratch_database(admin_url, "hz45_bench") as url:
        engine = create_db_engine(url)
        with engine.begin() as conn:
            seed_s, _ = _timed(lambda: _seed(conn, events))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
        rebuild_s, report = _timed(lambda: aggregate_charts(full=True, database_url=url))
        group_by = ("SELECT count(*) FROM (SELECT date_trunc('hour', played_at) AS w, track_id, count(*) "
                    "FROM play_event GROUP BY 1, 2) s")
        with engine.connect() as conn:
            group_s, groups = _timed(lambda: conn.execute(sa.text(group_by)).scalar())
        with engine.begin() as conn:
            _plays(conn, NEW_EVENTS, "50 minutes")
        incremental_s, inc = _timed(lambda: aggregate_charts(database_url=url))
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT count(*) FROM chart_hourly")).scalar()
        engine.dispose()
    return {"events": events, "seed_s": seed_s, "rebuild_s": rebuild_s, "group_by_s": group_s,
            "ratio": rebuild_s / group_s, "groups": groups, "windows": len(report["changed_windows"]),
            "incremental_s": incremental_s, "incremental_windows": len(inc["changed_windows"]),
            "chart_rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--ten-million", action="store_true", help="also run with 10,000,000 plays")
    args = parser.parse_args()
    sizes = [args.events] + ([10_000_000] if args.ten_million else [])
    print("| plays | seed (s) | full rebuild (s) | GROUP BY alone (s) | rebuild / GROUP BY | "
          "chart rows | incremental after 10k new plays (s) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for events in sizes:
        r = run(args.url, events)
        print(f"| {r['events']:,} | {r['seed_s']:.1f} | {r['rebuild_s']:.2f} | {r['group_by_s']:.2f} | "
              f"{r['ratio']:.2f} | {r['chart_rows']:,} | {r['incremental_s']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
