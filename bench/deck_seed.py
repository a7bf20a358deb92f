"""Time of seeding the deck-scale dataset (``hz45 seed-demo --scale deck``) into PostgreSQL.

    nice .venv/bin/python bench/deck_seed.py [--fraction 1.0] [--seed 45] [--tracks-csv PATH]
                                             [--url URL] [--keep] [--json]

Creates a scratch database ``hz45_deck_<random>`` on the server of URL (default: the local
PostgreSQL), migrates it, runs :func:`jobs.deck_data.seed_deck` (the same call as the command)
and prints the seconds of every stage, the total, the row count of every table and the size of
the database. Progress lines go to stderr while it runs. The database is dropped at the end
unless ``--keep`` (then its URL is printed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support.scratch_db import scratch_database  # noqa: E402
from domain.db import create_db_engine  # noqa: E402
from domain.tables import metadata  # noqa: E402
from jobs.deck_data import DeckConfig, default_tracks_csv, seed_deck  # noqa: E402


def row_counts(engine) -> dict[str, int]:
    """Rows of every table of the schema."""
    with engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                for t in metadata.sorted_tables}


def run(admin_url: str, config: DeckConfig, tracks_csv: Path, keep: bool) -> dict:
    """Seed ``config`` into a fresh database on the server of ``admin_url``; timings and counts."""
    with scratch_database(admin_url, "hz45_deck", keep=keep) as url:
        engine = create_db_engine(url)
        started = time.perf_counter()
        report = seed_deck(engine, config, tracks_csv=tracks_csv)
        total = time.perf_counter() - started
        counts = row_counts(engine)
        with engine.connect() as conn:
            size = conn.execute(sa.text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
        engine.dispose()
    return {"fraction": config.track_fraction, "seed": config.seed, "seconds": report.seconds,
            "total_seconds": total, "generated": report.counts, "rows": counts, "database_size": size,
            "database_url": url if keep else None}


def print_tables(result: dict) -> None:
    print(f"deck seed at fraction {result['fraction']} (seed {result['seed']}) into PostgreSQL")
    print("\n| stage | seconds |\n| --- | ---: |")
    for stage, seconds in result["seconds"].items():
        print(f"| {stage} | {seconds:.1f} |")
    print(f"| **total** | **{result['total_seconds']:.1f}** |")
    print("\n| table | rows |\n| --- | ---: |")
    for table, rows in result["rows"].items():
        if rows:
            print(f"| {table} | {rows:,} |")
    print(f"\ndatabase size: {result['database_size']}")
    if result["database_url"]:
        print(f"kept: {result['database_url']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="a database on the server to use (the scratch database is created beside it)")
    parser.add_argument("--fraction", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=45)
    parser.add_argument("--tracks-csv", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args()
    result = run(args.url, DeckConfig.at_fraction(args.fraction, seed=args.seed),
                 args.tracks_csv or default_tracks_csv(), args.keep)
    if args.json:
        print(json.dumps(result))
    else:
        print_tables(result)


if __name__ == "__main__":
    main()
