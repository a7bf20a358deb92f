"""Evaluation: known answers for HR/NDCG, leave-one-out, k-fold RMSE/MAE, mixes, genre coherence,
list metrics (coverage, novelty, diversity), user history in contexts, and runs over seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engines.base import ScoredItems, TrainingData, UserContext
from engines.datasets import HeldOut, LoadedDataset
from engines.evaluation import (
    artist_diversity,
    catalog_coverage,
    context_builder,
    evaluate,
    evaluate_candidates,
    genre_coherence,
    leave_one_out,
    novelty,
    positive_rank,
    rank_metrics,
    recommended,
)
from engines.feedback import confidence
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
    "coverage",
    "novelty",
    "diversity",
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


# -- user history in contexts --------------------------------------------------------------


def test_context_history_is_every_training_pair_with_its_confidence():
    ratings = pd.DataFrame({"user_id": [1], "item_id": [5], "rating": [4.0], "timestamp": [100]})
    plays = pd.DataFrame(
        {"user_id": [1, 1, 1, 2], "item_id": [5, 5, 6, 6], "timestamp": [50, 60, 70, 10],
         "weight": [1, 1, 3, 10]}
    )  # fmt: skip
    contexts = context_builder(TrainingData(ratings=ratings, plays=plays))
    first = contexts(1)
    assert dict(zip(first.history_item_ids, first.history_weights, strict=True)) == pytest.approx(
        {5: confidence([2.0], [4.0])[0], 6: np.log1p(3.0)}
    )
    second = contexts(2)
    assert second.history_item_ids == (6,) and second.history_weights == pytest.approx((np.log1p(10.0),))
    assert first.recent_item_ids == (5,)  # the latest interactions: ratings when there are any
    assert contexts(99).history_item_ids == () and contexts(99).history_weights == ()


class Recorder(Lookup):
    """A :class:`Lookup` that keeps every training set and context it is given."""

    def __init__(self, seen: list) -> None:
        super().__init__({})
        self.seen, self.contexts = seen, []

    def fit(self, data: TrainingData) -> Recorder:
        self.seen.append(data)
        return self

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        self.contexts.append(context)
        return super().score(context, item_ids)


def test_ranking_sees_the_training_history_without_the_held_out_item():
    data = interaction_data()
    model = Recorder([])
    evaluate(model, LoadedDataset("synthetic", data), metric="hr")
    train, held = leave_one_out(data, seed=0)
    positive_of = dict(zip(held.user_ids, held.positives, strict=True))
    assert len(model.contexts) == len(held.user_ids)
    for context in model.contexts:
        training = train.ratings.loc[train.ratings["user_id"] == context.user_id, "item_id"]
        assert set(context.history_item_ids) == set(training)
        assert positive_of[context.user_id] not in context.history_item_ids
        assert len(context.history_weights) == len(context.history_item_ids)


# -- coverage, novelty, diversity ----------------------------------------------------------


def test_recommended_drops_unscorable_items_and_ranks_the_held_out_item_last_in_ties():
    items = np.array([7, 8, 9, 10])  # 7 is the held-out item
    assert recommended(np.array([1.0, 1.0, np.nan, 0.5]), items, 3).tolist() == [8, 7, 10]
    assert recommended(np.array([np.nan, 2.0, np.nan, np.nan]), items, 3).tolist() == [8]


def test_list_metric_functions_known_values():
    lists = np.array([[1, 2], [2, -1]])  # -1 pads a short list
    assert catalog_coverage(lists, np.arange(1, 9)) == 2 / 8
    history = pd.DataFrame({"user_id": [1, 2, 3, 1], "item_id": [1, 1, 1, 2]})
    # n_users = 3; item 1 has 3 users (0 bits), item 2 one (log2(4/2) = 1 bit), twice.
    assert novelty(lists, history) == pytest.approx((0 + 1 + 1) / 3)
    assert novelty(np.full((1, 2), -1), history) is None
    artists = pd.DataFrame({"item_id": [1, 2, 3], "artists": ["A", "A;B", None]})
    assert artist_diversity(np.array([[1, 2], [1, 3]]), artists) == pytest.approx((1.0 + 1.0) / 2)
    by_id = pd.DataFrame({"item_id": [1, 2, 3], "artist_id": [7, 7, 8]})
    assert artist_diversity(np.array([[1, 2, 3], [1, 2, -1]]), by_id) == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert artist_diversity(lists, pd.DataFrame({"item_id": [1, 2]})) is None


def test_coverage_novelty_and_diversity_of_a_hand_made_evaluation():
    # Training: 3 users; item 10 has all three, items 11 and 12 one each, 13-15 none.
    plays = pd.DataFrame({"user_id": [1, 1, 2, 2, 3], "item_id": [10, 11, 10, 12, 10], "timestamp": 0})
    items = pd.DataFrame({"item_id": np.arange(10, 16), "artist_id": [1, 1, 2, 1, 3, np.nan]})
    held = HeldOut(np.array([1, 2]), np.array([13, 14]), np.array([[10, 15, 12], [11, 13, 15]]))
    table = {(1, 13): 3.0, (1, 15): 2.0, (1, 10): 1.0, (2, 14): 1.0, (2, 11): 5.0, (2, 13): 5.0}
    dataset = LoadedDataset("hand", TrainingData(plays=plays, items=items), held)
    result = evaluate(Lookup(table, default=np.nan), dataset, metric="hr", k=2)
    # User 1: [13, 15] (12 cannot be scored), a hit at rank 1; user 2: [11, 13] (the tie goes
    # to the candidate that came first), and its item 14 ranks third.
    assert (result["hr"], result["ndcg"]) == (0.5, 0.5)
    assert result["coverage"] == 3 / 6  # 11, 13, 15 of the catalog 10-15
    # -log2((n + 1) / 4) bits: 13 -> 2, 15 -> 2, 11 -> 1, 13 -> 2.
    assert result["novelty"] == pytest.approx(7 / 4)
    # User 1's list has one item with a known artist (1 of 1); user 2's, artist 1 twice (1 of 2).
    assert result["diversity"] == pytest.approx((1.0 + 0.5) / 2)
    rmse = evaluate(Lookup({}, default=3.0), LoadedDataset("s", interaction_data()), metric="rmse")
    assert rmse["coverage"] is None and rmse["novelty"] is None and rmse["diversity"] is None


# -- several candidates and seeds ----------------------------------------------------------


class Popular(Lookup):
    """Scores an item by its number of training interactions."""

    def fit(self, data: TrainingData) -> Popular:
        self.counts = data.ratings["item_id"].value_counts()
        return self

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        return self.counts.reindex(item_ids, fill_value=0).to_numpy(np.float64)


class Broken(Lookup):
    def fit(self, data: TrainingData) -> Broken:
        self.fits += 1
        raise RuntimeError("boom\nsecond line")


def test_seeds_give_the_mean_and_sample_sd_of_single_runs():
    dataset = LoadedDataset("synthetic", interaction_data(n_users=40, per_user=8))
    singles = [evaluate(lambda: Popular({}), dataset, "hr", k=10, seed=s) for s in (0, 1, 2)]
    [row] = evaluate_candidates([("popular", lambda: Popular({}))], dataset, "hr", k=10, seeds=[0, 1, 2])
    for key in ("hr", "ndcg", "coverage", "novelty"):
        values = [single[key] for single in singles]
        assert row[key] == pytest.approx(np.mean(values))
        assert row[f"{key}_sd"] == pytest.approx(np.std(values, ddof=1))
    assert row["hr_sd"] > 0  # the seeds really change the split
    assert row["seeds"] == [0, 1, 2] and row["error"] is None and row["train_seconds"] >= 0
    assert row["diversity"] is None and row["diversity_sd"] is None and row["rmse"] is None
    [one] = evaluate_candidates([("popular", lambda: Popular({}))], dataset, "hr", seeds=[1])
    assert one["hr"] == singles[1]["hr"] and one["hr_sd"] is None and one["seeds"] == [1]


def test_a_failing_candidate_gets_an_error_row_and_the_others_still_run():
    dataset = LoadedDataset("synthetic", interaction_data())
    broken = Broken({})
    rows = evaluate_candidates(
        [("broken", lambda: broken), ("popular", lambda: Popular({}))], dataset, "hr", seeds=[0, 1]
    )
    assert [r["name"] for r in rows] == ["broken", "popular"]
    assert rows[0]["error"] == "RuntimeError: boom" and rows[0]["hr"] is None
    assert rows[0]["train_seconds"] is None and broken.fits == 1  # not run again on seed 1
    assert rows[1]["error"] is None and 0 <= rows[1]["hr"] <= 1
    with pytest.raises(ValueError, match="ratings"):  # a split that cannot be made fails it all
        evaluate_candidates([("popular", lambda: Popular({}))], LoadedDataset("p", TrainingData()), "rmse")


@pytest.mark.parametrize(("metric", "folds"), [("hr", 1), ("rmse", 3)])
def test_every_candidate_gets_the_same_training_objects_per_seed(metric, folds):
    dataset = LoadedDataset("synthetic", interaction_data())
    first, second = [], []
    evaluate_candidates(
        [("a", lambda: Recorder(first)), ("b", lambda: Recorder(second))],
        dataset, metric, folds=max(folds, 2), seeds=[0, 1],
    )  # fmt: skip
    assert len(first) == len(second) == 2 * folds
    assert all(a is b for a, b in zip(first, second, strict=True))
    assert len({id(data) for data in first}) == 2 * folds  # a new split per seed and fold


def test_fitting_and_ranking_progress_is_logged(caplog):
    dataset = LoadedDataset("synthetic", interaction_data())
    with caplog.at_level("INFO", logger="hz45.engines.evaluation"):
        evaluate_candidates([("popular", lambda: Popular({}))], dataset, "hr", seeds=[0, 1])
    messages = [r.getMessage() for r in caplog.records]
    assert "popular (seed 1): fitting" in messages
    assert any(m.startswith("popular (seed 0): fitted in") for m in messages)
    ranked = [m for m in messages if m.startswith("popular (seed 0): ranked")]
    assert len(ranked) == 6  # a line per tenth of the users, rounded up: every 2 of 12
    assert ranked[-1] == "popular (seed 0): ranked 12/12 users (100%)"
