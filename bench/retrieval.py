"""Candidate retrieval (engines/retrieval.py) against exact search, on clustered synthetic factors.

For the deck's catalog size and four times it: build time of the inverted-file index, recall
of the exact top 100 among its top 500 first 100, and the median time of one search with 600
excluded items, against scoring every item.

    .venv/bin/python bench/retrieval.py [--sizes 89215,356860] [--queries 100]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engines.retrieval import InnerProductIndex  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="89215,356860")
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for n in (int(s) for s in args.sizes.split(",")):
        centres = rng.normal(size=(50, 64))
        vectors = (centres[rng.integers(0, 50, n)] + 0.7 * rng.normal(size=(n, 64))) * rng.gamma(2, 0.5, size=(n, 1))
        started = time.perf_counter()
        index = InnerProductIndex(vectors)
        build = time.perf_counter() - started
        exact = InnerProductIndex(vectors, exact_below=10**12)
        recalls, approximate_s, exact_s = [], [], []
        for _ in range(args.queries):
            query = rng.normal(size=64) + centres[rng.integers(50)]
            exclude = rng.choice(n, 600, replace=False)
            started = time.perf_counter()
            found = index.top(query, 500, exclude)
            approximate_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            truth = exact.top(query, 500, exclude)
            exact_s.append(time.perf_counter() - started)
            recalls.append(len(set(found[:100]) & set(truth[:100])) / 100)
        print(f"{n:>9,} items: built in {build:.1f} s, recall@100 {np.mean(recalls):.3f}, "
              f"search {np.median(approximate_s) * 1000:.2f} ms, exact {np.median(exact_s) * 1000:.2f} ms", flush=True)


if __name__ == "__main__":
    main()
