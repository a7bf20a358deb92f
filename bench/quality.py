"""Recommendation quality of every engine and mix, with the product's default configuration.

One command produces the table of docs/benchmarks.md: for each dataset, every installed
engine, the default mix and the learned mix, leave-one-out HR@10 / NDCG@10 against 99
negatives (mean ± sd over seeds), training seconds and the peak resident memory added while
training (sampled from /proc every 20 ms), plus coverage, novelty and diversity.

    .venv/bin/python bench/quality.py --seeds 0,1,2 --write docs/benchmarks/quality.md

Datasets: ``movielens-100k`` and ``ncf-ml-1m`` from ../shared/data (or $HZ45_DATA_DIR), and
``db``: the demo generator's data in a fresh SQLite file. Progress goes to stderr. Runs with
the default settings: no HZ45_CONFIG is read.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("hz45.bench.quality")


class PeakRSS:
    """Peak resident set size of this process while the block runs, in MiB above its start."""

    def __enter__(self) -> PeakRSS:
        self.start = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    @property
    def added_mib(self) -> float:
        return (self.peak - self.start) / 2**20

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def demo_dataset():
    """The demo generator's data (4,000 tracks, 2,000 listeners) as the ``db`` dataset."""
    from domain.db import create_db_engine
    from domain.migrations import upgrade
    from domain.recommendations.training_data import load_snapshot
    from engines.datasets import LoadedDataset
    from jobs.demo_data import seed_demo

    url = f"sqlite:///{tempfile.mkdtemp(prefix='hz45-bench-')}/demo.db"
    upgrade(url)
    engine = create_db_engine(url)
    try:
        seed_demo(engine)
        return LoadedDataset("db", load_snapshot(engine))
    finally:
        engine.dispose()


def load(kind: str):
    from engines.datasets import load_dataset, shared_data_dir

    if kind == "db":
        return demo_dataset()
    folder = {"movielens-100k": "ml-100k", "ncf-ml-1m": "ml-1m"}[kind]
    return load_dataset(kind, shared_data_dir() / folder)


def run_dataset(kind: str, seeds: list[int], engines: list[str] | None) -> list[dict]:
    from domain.settings import Settings
    from engines.evaluation import evaluate_candidates
    from plugins.manager import describe, get_plugin_manager
    from plugins.offline import EngineScorer, FitCache, LearnedMixScorer, MixScorer

    settings = Settings(_env_file=None).recommenders
    manager = get_plugin_manager(entry_points=False)
    cache = FitCache(manager, lambda name: settings.engines.get(name, {}))
    costs: dict[str, list[tuple[float, float]]] = {}
    train = cache.train

    def measured(name, data):
        key = (name, json.dumps(cache.params(name), sort_keys=True, default=str), id(data))
        if key in cache._models:
            return train(name, data)
        with PeakRSS() as memory:
            started = time.perf_counter()
            model = train(name, data)
        costs.setdefault(name, []).append((time.perf_counter() - started, memory.added_mib))
        return model

    cache.train = measured
    names = engines or sorted(describe(manager))
    default = [(e.engine, e.weight) for e in settings.default_mix]
    candidates = [(name, lambda name=name: EngineScorer(cache, name)) for name in names]
    candidates += [("mix:default", lambda: MixScorer(cache, default)),
                   ("mix:learned", lambda: LearnedMixScorer(cache, settings.learned_mix_members(),
                                                                    prior=settings.learned_mix_prior()))]
    dataset = load(kind)

    def on_seed(seed: int) -> None:
        cache.seed = seed

    rows = evaluate_candidates(candidates, dataset, "hr", k=10, seeds=seeds, on_seed=on_seed)
    for row in rows:
        spent = costs.get(row["name"], [])
        row["train_seconds_each"] = [round(s, 1) for s, _ in spent]
        row["peak_mib"] = round(max((m for _, m in spent), default=0.0), 0) if spent else None
    return rows


def markdown(results: dict[str, list[dict]], seeds: list[int]) -> str:
    lines = [f"Seeds {','.join(map(str, seeds))}; HR@10 and NDCG@10 are mean ± sd. Training seconds are the mean "
             "per seed of the engine's own fit (a mix row: its members' fits, or the learned blend's held-out "
             "refits, counted where first made); peak MiB is memory added while the engine trained.", ""]
    for kind, rows in results.items():
        lines += [f"### {kind}", "", "| engine or mix | HR@10 | NDCG@10 | train s | peak MiB | coverage | novelty |",
                  "| --- | --- | --- | ---: | ---: | ---: | ---: |"]
        for row in rows:
            if row["error"]:
                lines.append(f"| {row['name']} | error: {row['error']} | | | | | |")
                continue

            def pm(key, row=row):
                sd = row.get(f"{key}_sd")
                return f"{row[key]:.4f}" + (f" ± {sd:.4f}" if sd is not None else "")

            peak = "-" if row["peak_mib"] is None else f"{row['peak_mib']:.0f}"
            lines.append(f"| {row['name']} | {pm('hr')} | {pm('ndcg')} | {row['train_seconds']:.1f} | {peak} | "
                         f"{row['coverage']:.3f} | {row['novelty']:.2f} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="movielens-100k,ncf-ml-1m,db")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--engines", default=None, help="comma-separated (default: every installed engine)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON lines here")
    parser.add_argument("--write", type=Path, help="write the markdown table here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s")
    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)
    seeds = [int(s) for s in args.seeds.split(",")]
    engines = args.engines.split(",") if args.engines else None
    results = {}
    for kind in args.datasets.split(","):
        log.info("dataset %s", kind)
        results[kind] = run_dataset(kind, seeds, engines)
        if args.json:
            with args.json.open("a") as out:
                for row in results[kind]:
                    out.write(json.dumps(row) + "\n")
    text = markdown(results, seeds)
    print(text)
    if args.write:
        args.write.write_text(text + "\n")


if __name__ == "__main__":
    main()
