"""Evaluation: known answers for HR/NDCG, leave-one-out, k-fold RMSE/MAE, mixes, genre coherence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engines.base import SCORE_FLOOR, ScoredItems, TrainingData, UserContext
from engines.datasets import HeldOut, LoadedDataset
from engines.evaluation import (
    Mix,
    evaluate,
    genre_coherence,
    leave_one_out,
    positive_rank,
    rank_metrics,
)
from engines.svd import SVDEngine

RESULT_KEYS = {
    "name",
    "dataset",
    "metric",
    "rmse",
    "mae",
    "hr",
    "ndcg",
    "genre",
    "k",
    "train_seconds",
    "eval_seconds",
}


def interaction_data(
    n_users: int = 12, n_items: int = 150, per_user: int = 6, seed: int = 0
) -> TrainingData:
    rng = np.random.default_rng(seed)
    rows = [
        (user, item, float(rng.integers(1, 6)), int(rng.integers(0, 1000)))
        for user in range(n_users)
        for item in rng.choice(n_items, size=per_user, replace=False)
    ]
    ratings = pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])
    return TrainingData(ratings=ratings, items=pd.DataFrame({"item_id": np.arange(n_items)}))


class Lookup:
    """Scores from a fixed table of (user, item) -> value; ``default`` elsewhere."""

    def __init__(self, table: dict[tuple[int, int], float], default: float = 0.0) -> None:
        self.table, self.default, self.fits = table, default, 0

    def fit(self, data: TrainingData) -> Lookup:
        self.fits += 1
        return self

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        return np.array([self.table.get((context.user_id, int(i)), self.default) for i in item_ids])


def oracle(data: TrainingData, sign: float = 1.0) -> Lookup:
    """Knows every interaction of the full data: +1 (or -1) for them, 0 for the rest."""
    pairs = zip(data.ratings["user_id"], data.ratings["item_id"], strict=True)
    return Lookup({(int(u), int(i)): sign for u, i in pairs})


def test_rank_metrics_known_values():
    assert rank_metrics(np.array([0]), 10) == (1.0, 1.0)
    for rank in range(1, 11):  # 1-based rank r scores 1/log2(r+1)
        hr, ndcg = rank_metrics(np.array([rank - 1]), 10)
        assert hr == 1.0 and ndcg == pytest.approx(1 / np.log2(rank + 1))
    assert rank_metrics(np.array([10, 99]), 10) == (0.0, 0.0)
    assert rank_metrics(np.array([0, 2, 50, 10]), 10) == pytest.approx(
        (0.5, (1 + 1 / np.log2(4)) / 4)
    )


def test_positive_rank_counts_ties_and_nan_against_the_positive():
    assert positive_rank(np.array([3.0, 1.0, 2.0])) == 0
    assert positive_rank(np.array([2.0, 3.0, 2.0, 1.0])) == 2
    assert positive_rank(np.array([np.nan, 1.0, np.nan])) == 2
    assert positive_rank(np.array([0.5, np.nan, np.nan])) == 0


def test_leave_one_out_holds_out_the_latest_interaction():
    data = interaction_data()
    train, held = leave_one_out(data, n_negatives=99, seed=1)
    ratings = data.ratings
    latest = ratings.loc[ratings.groupby("user_id")["timestamp"].idxmax()]
    assert held.user_ids.tolist() == latest["user_id"].tolist()
    assert held.positives.tolist() == latest["item_id"].tolist()
    assert held.negatives.shape == (len(latest), 99)
    for user, negatives in zip(held.user_ids, held.negatives, strict=True):
        seen = set(ratings.loc[ratings["user_id"] == user, "item_id"])
        assert len(set(negatives)) == 99 and not seen & set(negatives)
    assert len(train.ratings) == len(ratings) - len(latest)
    again = leave_one_out(data, n_negatives=99, seed=1)[1]
    np.testing.assert_array_equal(again.negatives, held.negatives)


def test_perfect_scorer_gets_one_and_reversed_scorer_zero():
    data = interaction_data()
    dataset = LoadedDataset("synthetic", data)
    best = evaluate(oracle(data), dataset, metric="hr", k=10)
    worst = evaluate(oracle(data, sign=-1.0), dataset, metric="hr", k=10)
    assert (best["hr"], best["ndcg"]) == (1.0, 1.0)
    assert (worst["hr"], worst["ndcg"]) == (0.0, 0.0)
    assert set(best) == RESULT_KEYS and best["rmse"] is None and best["k"] == 10


def test_fixed_held_out_is_used_as_given():
    data = TrainingData(
        ratings=pd.DataFrame(
            {"user_id": [1, 2], "item_id": [10, 20], "rating": [5.0, 5.0], "timestamp": [0, 0]}
        )
    )
    held = HeldOut(np.array([1, 2]), np.array([11, 21]), np.array([[12, 13, 14], [22, 23, 24]]))
    # user 1's positive ranks 3rd of 4 (two negatives score higher), user 2's first.
    table = {(1, 11): 1.0, (1, 12): 2.0, (1, 13): 3.0, (2, 21): 9.0}
    result = evaluate(Lookup(table), LoadedDataset("fixed", data, held), metric="hr", k=2)
    assert result["hr"] == 0.5 and result["ndcg"] == pytest.approx(0.5)
    result = evaluate(Lookup(table), LoadedDataset("fixed", data, held), metric="hr", k=3)
    assert result["ndcg"] == pytest.approx((1 / np.log2(4) + 1) / 2)


def test_kfold_rmse_of_exact_and_constant_predictions():
    data = interaction_data(n_users=20)
    table = {
        (int(u), int(i)): r
        for u, i, r in data.ratings[["user_id", "item_id", "rating"]].itertuples(index=False)
    }
    exact = evaluate(Lookup(table), LoadedDataset("s", data), metric="rmse", folds=4, seed=2)
    assert exact["rmse"] == pytest.approx(0.0) and exact["mae"] == pytest.approx(0.0)
    constant = evaluate(Lookup({}, default=3.0), LoadedDataset("s", data), metric="rmse", folds=4)
    errors = data.ratings["rating"].to_numpy() - 3.0  # each rating is tested exactly once
    assert constant["rmse"] == pytest.approx(np.sqrt(np.mean(errors**2)))
    assert constant["mae"] == pytest.approx(np.mean(np.abs(errors)))
    assert constant["hr"] is None and constant["k"] is None and constant["train_seconds"] >= 0


def test_unscorable_ratings_fall_back_to_the_user_mean():
    users = np.repeat([1, 2], 10)
    ratings = pd.DataFrame(
        {
            "user_id": users,
            "item_id": np.arange(20),
            "rating": np.where(users == 1, 5.0, 1.0),
            "timestamp": 0,
        }
    )
    result = evaluate(
        Lookup({}, default=np.nan),
        LoadedDataset("s", TrainingData(ratings=ratings)),
        metric="rmse",
        folds=2,
    )
    assert result["rmse"] == 0.0 and result["mae"] == 0.0


def test_factories_classes_and_instances_are_accepted():
    data = interaction_data(n_users=20)
    dataset = LoadedDataset("s", data)
    made = []

    def factory():
        made.append(SVDEngine({"n_epochs": 2}))
        return made[-1]

    assert evaluate(factory, dataset, metric="rmse", folds=3)["name"] == "factory"
    assert len(made) == 3  # a fresh engine per fold
    assert evaluate(SVDEngine, dataset, metric="rmse", folds=2, name="svd")["name"] == "svd"
    instance = Lookup({}, default=3.0)
    evaluate(instance, dataset, metric="rmse", folds=3)
    assert instance.fits == 3


def test_mix_combines_normalised_scores_by_weight():
    data = interaction_data()
    good, bad = oracle(data), oracle(data, sign=-1.0)
    dataset = LoadedDataset("synthetic", data)
    assert (
        evaluate(Mix([(lambda: good, 1.0), (lambda: bad, 0.5)]), dataset, "hr", name="mix")["hr"]
        == 1.0
    )
    assert (
        evaluate(Mix([(lambda: good, 0.5), (lambda: bad, 1.0)]), dataset, "hr", name="mix")["hr"]
        == 0.0
    )
    silent = Lookup({}, default=np.nan)
    mix = Mix([(lambda: silent, 5.0), (lambda: good, 1.0)]).fit(data)
    user, item = int(data.ratings["user_id"][0]), int(data.ratings["item_id"][0])
    np.testing.assert_array_equal(
        mix.score(UserContext(user_id=user), np.array([item, 10_000])), [1.0, SCORE_FLOOR]
    )
    nothing = Mix([(lambda: silent, 1.0)]).fit(data)
    assert np.isnan(nothing.score(UserContext(user_id=user), np.array([1, 2]))).all()
    with pytest.raises(ValueError):
        Mix([])


class SameGenre:
    """Item-to-item stand-in: neighbours share (or, inverted, never share) the seed's genre."""

    def __init__(self, items: pd.DataFrame, inverted: bool = False) -> None:
        self.items, self.inverted = items, inverted

    def fit(self, data: TrainingData) -> SameGenre:
        return self

    def similar_items(self, item_id: int, k: int) -> ScoredItems:
        genre = self.items.set_index("item_id").loc[item_id, "genre"]
        match = (self.items["genre"] == genre) != self.inverted
        ids = self.items.loc[match & (self.items["item_id"] != item_id), "item_id"].to_numpy()[:k]
        return ScoredItems(ids, np.ones(len(ids)))


def test_genre_coherence_known_answers():
    items = pd.DataFrame(
        {"item_id": np.arange(60), "genre": np.repeat(["pop", "rock", "soul"], 20)}
    )
    dataset = LoadedDataset("spotify-csv", TrainingData(items=items))
    coherent = evaluate(SameGenre(items), dataset, metric="genre", k=5, name="same")
    assert coherent["genre"] == 1.0 and coherent["hr"] is None and coherent["k"] == 5
    assert genre_coherence(SameGenre(items, inverted=True), dataset.data, k=5) == 0.0
    assert genre_coherence(SameGenre(items), dataset.data, k=25) == pytest.approx(19 / 25)


def test_unknown_metric_and_rmse_without_ratings_fail_clearly():
    plays = pd.DataFrame({"user_id": [1, 1], "item_id": [1, 2], "timestamp": [0, 1]})
    dataset = LoadedDataset("plays", TrainingData(plays=plays))
    with pytest.raises(ValueError, match="metric"):
        evaluate(Lookup({}), dataset, metric="auc")
    with pytest.raises(ValueError, match="ratings"):
        evaluate(Lookup({}), dataset, metric="rmse")
