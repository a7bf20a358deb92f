"""Offline evaluation of engines and weighted mixes (``hz45 evaluate``, SPEC §4 and §8).

- ``rmse``: seeded k-fold RMSE/MAE of predicted ratings.
- ``hr``: leave-one-out HR@K / NDCG@K (log2 discount); each user's last interaction is
  ranked against 99 negatives (the dataset's fixed negatives, else seeded samples).
- ``genre``: genre coherence@K of an item-to-item engine.

Anything with ``fit(TrainingData)`` and ``score(UserContext, item_ids)`` can be evaluated,
so a :class:`Mix` of engines is evaluated exactly like one engine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from engines.base import TrainingData, UserContext, scale_scores
from engines.datasets import HeldOut, LoadedDataset

RECENT_ITEMS = 10  # how many latest training interactions go into UserContext.recent_item_ids


class Scorer(Protocol):
    """What evaluation needs of a model: an :class:`~engines.base.Engine` or a :class:`Mix`."""

    def fit(self, data: TrainingData) -> Any: ...

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray: ...


ScorerFactory = Callable[[], Scorer]


class Mix:
    """A weighted mix of engines: each engine's scores are scaled to [0.1, 1] per call (as the
    serving mixer does), then summed by weight; an engine with no score (NaN) for an item
    contributes nothing to it."""

    def __init__(self, parts: Sequence[tuple[ScorerFactory, float]]) -> None:
        if not parts:
            raise ValueError("a mix needs at least one engine")
        self.parts = list(parts)
        self.models: list[Scorer] = []

    def fit(self, data: TrainingData) -> Mix:
        """Fit a fresh instance of every engine of the mix."""
        self.models = [factory() for factory, _ in self.parts]
        for model in self.models:
            model.fit(data)
        return self

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        """Weighted sum of normalised scores; NaN where no engine can score an item."""
        total = np.zeros(len(item_ids))
        scored = np.zeros(len(item_ids), dtype=bool)
        for model, (_, weight) in zip(self.models, self.parts, strict=True):
            scores = np.asarray(model.score(context, item_ids), dtype=np.float64)
            finite = np.isfinite(scores)
            if not finite.any():
                continue
            # The same scaling as the serving mixer, so offline and online mixes agree.
            total[finite] += weight * scale_scores(scores)[finite]
            scored |= finite
        total[~scored] = np.nan
        return total


def rank_metrics(ranks: np.ndarray, k: int) -> tuple[float, float]:
    """``(HR@k, NDCG@k)`` from 0-based ranks of the held-out item (rank r+1 scores 1/log2(r+2))."""
    ranks = np.asarray(ranks)
    if not len(ranks):
        raise ValueError(
            "no held-out user to rank (each needs 2+ interactions and enough unseen items)"
        )
    hits = ranks < k
    gains = np.where(hits, 1.0 / np.log2(ranks + 2.0), 0.0)
    return float(hits.mean()), float(gains.mean())


def positive_rank(scores: np.ndarray) -> int:
    """0-based rank of ``scores[0]`` among ``scores``; ties and NaN count against it."""
    scores = np.where(np.isnan(scores), -np.inf, scores)
    return int(np.count_nonzero(scores[1:] >= scores[0]))


def interactions(data: TrainingData) -> pd.DataFrame:
    """``user_id, item_id, timestamp``: the ratings, or the plays when there are no ratings;
    one row per pair, with its latest timestamp."""
    frame = data.ratings if len(data.ratings) else data.plays
    frame = frame[["user_id", "item_id", "timestamp"]]
    return frame.groupby(["user_id", "item_id"], as_index=False, sort=False)["timestamp"].max()


def _without_pairs(frame: pd.DataFrame, users: np.ndarray, items: np.ndarray) -> pd.DataFrame:
    if not len(frame):
        return frame
    drop = pd.MultiIndex.from_arrays([frame["user_id"], frame["item_id"]]).isin(
        pd.MultiIndex.from_arrays([users, items])
    )
    return frame.loc[~drop].reset_index(drop=True)


def _train_without(data: TrainingData, users: np.ndarray, items: np.ndarray) -> TrainingData:
    """``data`` minus every rating and play of the given (user, item) pairs."""
    return TrainingData(
        ratings=_without_pairs(data.ratings, users, items),
        plays=_without_pairs(data.plays, users, items),
        users=data.users,
        items=data.items,
    )


def leave_one_out(
    data: TrainingData, n_negatives: int = 99, seed: int = 0
) -> tuple[TrainingData, HeldOut]:
    """Hold out each user's last interaction (ties broken at random) with sampled negatives.

    Negatives are drawn without replacement, with ``seed``, among the items (interacted with
    by anyone, or listed in ``data.items``) the user never interacted with. Users with a single
    interaction, or too few unseen items, stay in training.
    """
    rng = np.random.default_rng(seed)
    pairs = interactions(data)
    pairs = pairs.assign(_tie=rng.random(len(pairs))).sort_values(["user_id", "timestamp", "_tie"])
    counts = pairs.groupby("user_id", sort=False)["item_id"].transform("size")
    last = pairs.loc[(counts > 1) & ~pairs.duplicated("user_id", keep="last")]
    all_items = np.union1d(pairs["item_id"].to_numpy(), data.items["item_id"].to_numpy()).astype(
        np.int64
    )
    seen = pairs.groupby("user_id", sort=False)["item_id"].agg(np.asarray)
    user_ids, positives, negatives = [], [], []
    for user, positive in zip(last["user_id"].to_numpy(), last["item_id"].to_numpy(), strict=True):
        pool = np.setdiff1d(all_items, seen[user], assume_unique=True)
        if len(pool) < n_negatives:
            continue
        user_ids.append(user)
        positives.append(positive)
        negatives.append(rng.choice(pool, size=n_negatives, replace=False))
    held_out = HeldOut(
        np.asarray(user_ids, dtype=np.int64),
        np.asarray(positives, dtype=np.int64),
        np.asarray(negatives, dtype=np.int64).reshape(len(user_ids), n_negatives),
    )
    return _train_without(data, held_out.user_ids, held_out.positives), held_out


def context_builder(data: TrainingData) -> Callable[[int], UserContext]:
    """``user_id -> UserContext`` with demographics and the latest training interactions."""
    demographics: dict[int, tuple[Any, Any]] = {}
    for row in data.users.itertuples(index=False):
        age = None if pd.isna(row.age_group) else int(row.age_group)
        gender = None if pd.isna(row.gender) else row.gender
        demographics[int(row.user_id)] = (age, gender)
    pairs = interactions(data).sort_values(
        ["user_id", "timestamp"], ascending=[True, False], kind="stable"
    )
    recent = pairs.groupby("user_id", sort=False).head(RECENT_ITEMS)
    recent_items = recent.groupby("user_id", sort=False)["item_id"].agg(tuple).to_dict()

    def build(user_id: int) -> UserContext:
        age, gender = demographics.get(int(user_id), (None, None))
        recent_ids = tuple(int(i) for i in recent_items.get(user_id, ()))
        return UserContext(
            user_id=int(user_id), age_group=age, gender=gender, recent_item_ids=recent_ids
        )

    return build


def hit_ratio_ndcg(
    model: Scorer, held_out: HeldOut, contexts: Callable[[int], UserContext], k: int
) -> tuple[float, float]:
    """HR@k and NDCG@k of a fitted model: one ``score`` call per user on its 1 + N candidates."""
    candidates = np.column_stack([held_out.positives, held_out.negatives])
    ranks = np.empty(len(candidates), dtype=np.int64)
    for row, (user, items) in enumerate(zip(held_out.user_ids, candidates, strict=True)):
        ranks[row] = positive_rank(np.asarray(model.score(contexts(user), items), dtype=np.float64))
    return rank_metrics(ranks, k)


def kfold_rating(
    make: ScorerFactory, data: TrainingData, folds: int = 5, seed: int = 0
) -> tuple[float, float, float, float]:
    """Seeded k-fold ``(rmse, mae, train_seconds, eval_seconds)`` over the ratings.

    A prediction the model cannot make (NaN) falls back to the user's mean training rating,
    or the global one for a user without training ratings.
    """
    ratings = data.ratings.reset_index(drop=True)
    if len(ratings) < folds:
        raise ValueError("rmse needs explicit ratings (at least one per fold)")
    fold_of_row = np.empty(len(ratings), dtype=np.int64)
    fold_of_row[np.random.default_rng(seed).permutation(len(ratings))] = (
        np.arange(len(ratings)) % folds
    )
    errors, train_seconds, eval_seconds = [], 0.0, 0.0
    for fold in range(folds):
        test = ratings.loc[fold_of_row == fold]
        train = TrainingData(
            ratings=ratings.loc[fold_of_row != fold].reset_index(drop=True),
            plays=_without_pairs(
                data.plays, test["user_id"].to_numpy(), test["item_id"].to_numpy()
            ),
            users=data.users,
            items=data.items,
        )
        started = time.perf_counter()
        model = make()
        model.fit(train)
        train_seconds += time.perf_counter() - started
        started = time.perf_counter()
        contexts = context_builder(train)
        predicted = np.empty(len(test))
        items = test["item_id"].to_numpy()
        for user, rows in test.groupby("user_id", sort=False).indices.items():
            predicted[rows] = model.score(contexts(user), items[rows])
        user_mean = test["user_id"].map(train.ratings.groupby("user_id")["rating"].mean())
        fallback = user_mean.fillna(train.ratings["rating"].mean()).to_numpy()
        predicted = np.where(np.isnan(predicted), fallback, predicted)
        errors.append(predicted - test["rating"].to_numpy())
        eval_seconds += time.perf_counter() - started
    error = np.concatenate(errors)
    return (
        float(np.sqrt(np.mean(error**2))),
        float(np.mean(np.abs(error))),
        train_seconds,
        eval_seconds,
    )


def genre_coherence(
    model: Any, data: TrainingData, k: int = 10, n_seeds: int = 1000, seed: int = 0
) -> float:
    """Mean share of each seed item's ``k`` most similar items that share one of its genres.

    ``model`` is fitted and has ``similar_items``; ``data.items`` has ``genres`` (tuples) or
    ``genre``. Seeds are drawn with ``seed``; missing neighbours count as misses.
    """
    items = data.items
    column = items["genres"] if "genres" in items else items["genre"].map(lambda g: (g,))
    genres = dict(zip(items["item_id"].to_numpy(), map(set, column), strict=True))
    ids = items["item_id"].to_numpy()
    seeds = np.random.default_rng(seed).choice(ids, size=min(n_seeds, len(ids)), replace=False)
    shares = []
    for item in seeds:
        similar = model.similar_items(int(item), k).item_ids
        shares.append(sum(bool(genres.get(other, set()) & genres[item]) for other in similar) / k)
    return float(np.mean(shares))


def evaluate(
    model: ScorerFactory | Scorer,
    dataset: LoadedDataset,
    metric: str = "hr",
    k: int = 10,
    folds: int = 5,
    seed: int = 0,
    name: str | None = None,
    n_negatives: int = 99,
) -> dict[str, Any]:
    """Evaluate an engine, a mix, or a factory of either; returns the ``--json`` row of SPEC §8.

    ``train_seconds`` and ``eval_seconds`` are totals over folds.
    """
    is_instance = hasattr(model, "fit") and not isinstance(model, type)
    make: ScorerFactory = (lambda: model) if is_instance else model
    result: dict[str, Any] = {
        "name": name
        or getattr(model, "name", None)
        or getattr(model, "__name__", type(model).__name__),
        "dataset": dataset.kind,
        "metric": metric,
        **dict.fromkeys(
            ("rmse", "mae", "hr", "ndcg", "genre", "k", "train_seconds", "eval_seconds")
        ),
    }
    if metric == "rmse":
        rmse, mae, train_seconds, eval_seconds = kfold_rating(make, dataset.data, folds, seed)
        return result | {
            "rmse": rmse,
            "mae": mae,
            "train_seconds": train_seconds,
            "eval_seconds": eval_seconds,
        }
    if metric not in ("hr", "genre"):
        raise ValueError(f"unknown metric {metric!r}; expected rmse, hr or genre")
    if metric == "hr" and dataset.held_out is not None:
        train, held_out = dataset.data, dataset.held_out
    elif metric == "hr":
        train, held_out = leave_one_out(dataset.data, n_negatives, seed)
    else:
        train = dataset.data
    started = time.perf_counter()
    fitted = make()
    fitted.fit(train)
    train_seconds = time.perf_counter() - started
    started = time.perf_counter()
    if metric == "hr":
        hr, ndcg = hit_ratio_ndcg(fitted, held_out, context_builder(train), k)
        values = {"hr": hr, "ndcg": ndcg}
    else:
        values = {"genre": genre_coherence(fitted, train, k, seed=seed)}
    eval_seconds = time.perf_counter() - started
    return result | values | {"k": k, "train_seconds": train_seconds, "eval_seconds": eval_seconds}
