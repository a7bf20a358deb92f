"""Time of importing the full public Spotify tracks CSV into a fresh SQLite database.

    .venv/bin/python bench/import_csv.py [--repeats 3] [PATH]

Reports the median over repeats of a first import (into a new database) and of a re-import
(every track updated), against reading and cleaning the CSV alone (the baseline).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.migrations import upgrade
from jobs.import_csv import clean_tracks, import_csv, read_tracks_csv  # noqa: E402


def main() -> None:
    default = Path(os.environ.get("HZ45_DATA_DIR", ROOT.parent / "shared" / "data")) / "spotify_tracks" / "dataset.csv"
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", nargs="?", default=str(default))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    clean, first, again = [], [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        clean_tracks(read_tracks_csv(args.path))
        clean.append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/import.db"
            upgrade(url)
            started = time.perf_counter()
            report = import_csv(args.path, database_url=url)
            first.append(time.perf_counter() - started)
            started = time.perf_counter()
            import_csv(args.path, database_url=url)
            again.append(time.perf_counter() - started)
    print(f"rows {report['rows_read']}, tracks kept {report['tracks_kept']}")
    print(f"read + clean only:  median {statistics.median(clean):.2f} s")
    print(f"first import:       median {statistics.median(first):.2f} s ({statistics.median(first) / statistics.median(clean):.1f}x cleaning)")
    print(f"re-import (update): median {statistics.median(again):.2f} s")


if __name__ == "__main__":
    main()
