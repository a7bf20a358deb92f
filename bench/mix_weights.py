"""Choose the default mix's weights on validation data, never on a test split.

For each dataset the evaluation's training split (seed 0: the same one `hz45 evaluate` and
bench/quality.py hold out from) is split again, leave-one-out with another seed, and every
engine and every mix of a small weight grid is scored on that validation split only. A mix's
validation score is the mean over datasets and both metrics (HR@10, NDCG@10) of its value
divided by the best single engine's; the table lists every mix, best first.

    .venv/bin/python bench/mix_weights.py --datasets movielens-100k,ncf-ml-1m,db
"""

from __future__ import annotations

import argparse
import itertools
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

log = logging.getLogger("hz45.bench.mix_weights")
VALIDATION_SEED = 1000  # the validation split's seed: distinct from every evaluation seed
ENGINES = ["ease", "als", "item_knn", "content_gmm", "demographic_popular", "ncf"]


def grid(base: str | None = None, vary: str | None = None) -> list[dict[str, float]]:
    """The candidate weightings (members with weight 0 are left out): the full grid, or
    ``base`` (``NAME=W,...``) with one engine's weight taking each of ``vary`` (``NAME=W,W,...``)."""
    if base:
        fixed = {name: float(w) for name, w in (part.split("=") for part in base.split(","))}
        name, values = vary.split("=")
        return [{**fixed, name: float(w)} if float(w) else dict(fixed) for w in values.split(",")]
    mixes = []
    for (ease, als), knn, content, demo in itertools.product(
        [(1, 1), (1, 2), (2, 1)], [0, 0.5], [0, 0.3, 0.5], [0, 0.1, 0.3]
    ):
        weights = {"ease": ease, "als": als, "item_knn": knn, "content_gmm": content, "demographic_popular": demo}
        mixes.append({name: float(w) for name, w in weights.items() if w})
    return mixes


def label(weights: dict[str, float]) -> str:
    return ",".join(f"{name}={weight:g}" for name, weight in weights.items())


def validation_rows(kind: str, mixes: list[dict[str, float]]) -> list[dict]:
    """Every engine and mix on the validation split carved from ``kind``'s training split."""
    from quality import load

    from domain.settings import Settings
    from engines.datasets import LoadedDataset
    from engines.evaluation import evaluate_candidates, split_dataset
    from plugins.manager import get_plugin_manager
    from plugins.offline import EngineScorer, FitCache, MixScorer

    settings = Settings(_env_file=None).recommenders
    cache = FitCache(get_plugin_manager(entry_points=False), lambda name: settings.engines.get(name, {}))
    cache.seed = 0
    dataset = load(kind)
    (fold,) = split_dataset(dataset, "hr", seed=0)
    validation = LoadedDataset(f"{kind}-validation", fold.train)
    engines = [(name, lambda name=name: EngineScorer(cache, name)) for name in ENGINES]
    rows = evaluate_candidates(engines, validation, "hr", k=10, seeds=[VALIDATION_SEED])
    trained = {row["name"] for row in rows if row["error"] is None}
    # A mix whose untrainable members are left out is scored once per distinct remainder.
    effective = {label(w): label({n: x for n, x in w.items() if n in trained}) for w in mixes}
    distinct = {label(w): w for w in mixes if label(w) == effective[label(w)]}
    for w in mixes:
        distinct.setdefault(effective[label(w)], {n: x for n, x in w.items() if n in trained})
    candidates = [(name, lambda w=w: MixScorer(cache, list(w.items()))) for name, w in distinct.items()]
    by_name = {row["name"]: row for row in rows}
    by_name |= {row["name"]: row for row in evaluate_candidates(candidates, validation, "hr", k=10, seeds=[VALIDATION_SEED])}
    return [by_name[name] for name in ENGINES] + [by_name[effective[label(w)]] | {"name": label(w)} for w in mixes]

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="movielens-100k,ncf-ml-1m,db")
    parser.add_argument("--base", help="a fixed mix NAME=W,... to vary one weight of (default: the full grid)")
    parser.add_argument("--vary", help="with --base: NAME=W,W,... the weights to try for one engine")
    parser.add_argument("--engines", default=",".join(ENGINES), help="single engines to score (the reference)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("hz45.engines.evaluation").setLevel(logging.WARNING)
    mixes = grid(args.base, args.vary)
    ENGINES[:] = args.engines.split(",")
    kinds = args.datasets.split(",")
    results = {}
    for kind in kinds:
        log.info("dataset %s: %d engines and %d mixes on its validation split", kind, len(ENGINES), len(mixes))
        results[kind] = {row["name"]: row for row in validation_rows(kind, mixes)}
    relative: dict[str, float] = {}
    for weights in mixes:
        name, ratios = label(weights), []
        for kind in kinds:
            rows = results[kind]
            for metric in ("hr", "ndcg"):
                best = max(rows[e][metric] for e in ENGINES if rows[e]["error"] is None)
                ratios.append(rows[name][metric] / best)
        relative[name] = sum(ratios) / len(ratios)
    header = " | ".join(f"{kind} HR / NDCG" for kind in kinds)
    print(f"| mix | mean ratio to best engine | {header} |")
    print("| --- | ---: |" + " --- |" * len(kinds))
    for name in [*ENGINES, *sorted(relative, key=relative.get, reverse=True)]:
        cells = []
        for kind in kinds:
            row = results[kind][name]
            cells.append("error" if row["error"] else f"{row['hr']:.4f} / {row['ndcg']:.4f}")
        ratio = f"{relative[name]:.4f}" if name in relative else "-"
        print(f"| {name} | {ratio} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
