"""SVD through the ``svd`` engine vs scikit-surprise called directly, on MovieLens 100K.

Two figures, medians over ``--repeats`` seeds:

- 5-fold RMSE/MAE of the engine (``engines.evaluation``) and of surprise's own
  ``cross_validate`` (surprise publishes RMSE 0.934 / MAE 0.737 for SVD on ML-100K);
- fit time on identical fold data: ``SVDEngine.fit(TrainingData)`` against surprise's
  ``Dataset.load_from_df(...).build_full_trainset()`` + ``SVD.fit`` (the same work from
  the same DataFrame) and against ``SVD.fit`` alone on the prebuilt trainset, interleaved
  so that machine load hits all alike.

    nice .venv/bin/python bench/svd_movielens.py [--data ../shared/data/ml-100k] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from surprise import SVD, Dataset, Reader
from surprise.model_selection import KFold, cross_validate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engines.base import TrainingData
from engines.datasets import load_dataset, shared_data_dir
from engines.evaluation import evaluate
from engines.svd import SVDConfig, SVDEngine

FOLDS = 5
PUBLISHED = {"rmse": 0.934, "mae": 0.737}  # surprise's benchmark table, SVD on ML-100K


def fit_times(
    ratings, config: SVDConfig, seed: int
) -> tuple[list[float], list[float], list[float]]:
    """Per fold: engine fit, direct surprise (trainset + fit), and surprise's ``fit`` alone."""
    engine_s, direct_s, fit_only_s = [], [], []
    folds = np.random.default_rng(seed).permutation(len(ratings)) % FOLDS
    reader = Reader(rating_scale=config.rating_scale)
    for fold in range(FOLDS):
        train = ratings.loc[folds != fold].reset_index(drop=True)
        started = time.perf_counter()
        SVDEngine(config).fit(TrainingData(ratings=train))
        engine_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        trainset = Dataset.load_from_df(
            train[["user_id", "item_id", "rating"]], reader
        ).build_full_trainset()
        built = time.perf_counter()
        SVD(**config.surprise_params()).fit(trainset)
        direct_s.append(time.perf_counter() - started)
        fit_only_s.append(time.perf_counter() - built)
    return engine_s, direct_s, fit_only_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=shared_data_dir() / "ml-100k")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    dataset = load_dataset("movielens-100k", args.data)
    ratings = dataset.data.ratings
    config = SVDConfig(rating_scale=(1, 5), feedback="ratings")  # surprise's defaults and ML-100K's scale
    surprise_data = Dataset.load_from_df(
        ratings[["user_id", "item_id", "rating"]], Reader(rating_scale=(1, 5))
    )
    runs: dict[str, list[float]] = {}
    for seed in range(args.repeats):
        config.seed = seed
        ours = evaluate(SVDEngine(config), dataset, metric="rmse", folds=FOLDS, seed=seed)
        theirs = cross_validate(SVD(random_state=seed), surprise_data, measures=["rmse", "mae"],
                                cv=KFold(FOLDS, random_state=seed), n_jobs=1)  # fmt: skip
        engine_s, direct_s, fit_only_s = fit_times(ratings, config, seed)
        measured = {
            "engine_rmse": ours["rmse"],
            "engine_mae": ours["mae"],
            "surprise_rmse": float(np.mean(theirs["test_rmse"])),
            "surprise_mae": float(np.mean(theirs["test_mae"])),
            "engine_fit_s": statistics.median(engine_s),
            "surprise_fit_s": statistics.median(direct_s),
            "surprise_fit_only_s": statistics.median(fit_only_s),
        }
        print(json.dumps({"seed": seed} | measured), flush=True)
        for key, value in measured.items():
            runs.setdefault(key, []).append(value)
    summary = {key: statistics.median(values) for key, values in runs.items()}
    summary["fit_time_ratio"] = summary["engine_fit_s"] / summary["surprise_fit_s"]
    summary["fit_time_ratio_vs_fit_only"] = summary["engine_fit_s"] / summary["surprise_fit_only_s"]
    summary["rmse_vs_published"] = summary["engine_rmse"] - PUBLISHED["rmse"]
    summary["ok"] = (
        abs(summary["rmse_vs_published"]) <= 0.005
        and max(summary["fit_time_ratio"], summary["fit_time_ratio_vs_fit_only"]) <= 1.10
    )
    print(json.dumps({"summary": summary, "repeats": args.repeats, "folds": FOLDS}), flush=True)


if __name__ == "__main__":
    main()
