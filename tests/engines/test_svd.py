"""SVD engine: vectorised scoring equals surprise's ``predict``, candidates, artifacts, tuning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from surprise import SVD, Dataset, Reader

from engines.base import TrainingData, UserContext
from engines.svd import SVDEngine, tune
from tests.engines.engine_contract import EngineContract


def block_ratings(
    n_users: int = 30, n_items: int = 24, groups: int = 3, seed: int = 0
) -> TrainingData:
    """Users like (5) the items of their own group and dislike (1) the others; ~half observed."""
    rng = np.random.default_rng(seed)
    users, items = np.meshgrid(np.arange(n_users), np.arange(n_items), indexing="ij")
    users, items = users.ravel(), items.ravel()
    observed = rng.random(len(users)) < 0.5
    liked = users % groups == items % groups
    ratings = pd.DataFrame(
        {
            "user_id": users[observed] + 100,
            "item_id": items[observed] + 1000,
            "rating": np.where(liked[observed], 5.0, 1.0),
            "timestamp": np.arange(observed.sum()),
        }
    )
    return TrainingData(ratings=ratings)


class TestSVDContract(EngineContract):
    similar_items_supported = True

    def make_engine(self) -> SVDEngine:
        return SVDEngine({"n_factors": 4, "n_epochs": 10, "rating_scale": (1, 5), "seed": 1})

    def make_data(self) -> TrainingData:
        return block_ratings(n_users=12, n_items=9)

    def make_context(self, data: TrainingData) -> UserContext:
        return UserContext(user_id=100)


@pytest.fixture(scope="module")
def data() -> TrainingData:
    return block_ratings()


@pytest.fixture(scope="module")
def engine(data) -> SVDEngine:
    return SVDEngine({"n_factors": 8, "n_epochs": 30, "lr_all": 0.01, "seed": 3}).fit(data)


@pytest.mark.parametrize("user_id", [100, 107, 129, 9999])
def test_vectorised_scores_and_ranking_equal_surprise_predict(engine, user_id):
    context = UserContext(user_id=user_id)
    candidates = engine.candidates(context)
    expected = np.array([engine.algo.predict(user_id, int(item)).est for item in candidates])
    np.testing.assert_allclose(engine.score(context, candidates), expected, rtol=0, atol=1e-9)
    ranked = engine.recommend(context, k=len(candidates))
    by_predict = candidates[np.lexsort((np.arange(len(candidates)), -expected))]
    assert ranked.item_ids.tolist() == by_predict.tolist()
    np.testing.assert_allclose(ranked.scores, np.sort(expected)[::-1], rtol=0, atol=1e-9)


def test_model_equals_surprise_trained_on_the_same_dataframe(data, engine):
    frame = data.ratings[["user_id", "item_id", "rating"]]
    trainset = Dataset.load_from_df(frame, Reader(rating_scale=(0, 5))).build_full_trainset()
    direct = SVD(n_factors=8, n_epochs=30, lr_all=0.01, random_state=3).fit(trainset)
    for name in ("pu", "qi", "bu", "bi"):
        np.testing.assert_array_equal(getattr(engine, name), getattr(direct, name))


def test_scores_are_clipped_like_surprise(data):
    engine = SVDEngine(
        {"n_factors": 4, "n_epochs": 40, "lr_all": 0.05, "reg_all": 0.0, "rating_scale": (2, 4)}
    ).fit(data)
    items = engine.known_items()
    scores = engine.score(UserContext(user_id=100), items)
    assert scores.min() >= 2 and scores.max() <= 4 and (scores == 4).any()
    expected = [engine.algo.predict(100, int(i)).est for i in items]
    np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-9)


def test_unknown_items_are_nan_and_unknown_user_gets_biases(engine):
    scores = engine.score(UserContext(user_id=100), np.array([1000, -5]))
    assert np.isfinite(scores[0]) and np.isnan(scores[1])
    cold = engine.score(UserContext(user_id=None), np.array([1000, 1001]))
    np.testing.assert_allclose(
        cold, engine.global_mean + engine.bi[engine._items.get_indexer([1000, 1001])]
    )


def test_unbiased_model_cannot_score_unknown_user(data):
    engine = SVDEngine({"biased": False, "n_factors": 4, "n_epochs": 5}).fit(data)
    assert np.isnan(engine.score(UserContext(user_id=12345), engine.known_items())).all()
    assert engine.recommend(UserContext(user_id=12345), 5).item_ids.size == 0


def test_candidates_are_the_unrated_items(engine, data):
    rated = set(data.ratings.loc[data.ratings["user_id"] == 101, "item_id"])
    candidates = set(engine.candidates(UserContext(user_id=101)).tolist())
    assert candidates == set(engine.known_items().tolist()) - rated
    # A cold-start user gets nothing from SVD (the mixer's fallbacks serve them) ...
    assert len(engine.candidates(UserContext(user_id=424242))) == 0
    # ... though evaluation can still score them bias-only, as surprise does.
    assert np.isfinite(engine.score(UserContext(user_id=424242), engine.known_items())).all()


def test_recommends_the_liked_group(engine):
    top = engine.recommend(
        UserContext(user_id=100), 4
    )  # user 100 is group 0: items 1000, 1003, ...
    assert all((item - 1000) % 3 == 0 for item in top.item_ids)


def test_plays_become_implicit_ratings(data):
    plays = pd.DataFrame({"user_id": [100, 100], "item_id": [5000, 5000], "timestamp": [1, 2]})
    extended = TrainingData(ratings=data.ratings, plays=plays)
    plain = SVDEngine({"n_epochs": 2}).fit(extended)
    assert 5000 not in plain.known_items()
    implicit = SVDEngine(
        {"n_epochs": 2, "use_plays_as_implicit": True, "implicit_rating": 4.5}
    ).fit(extended)
    assert 5000 in implicit.known_items()
    assert 5000 not in implicit.candidates(UserContext(user_id=100))
    assert implicit.algo.trainset.n_ratings == len(data.ratings) + 1


def test_artifact_round_trip_keeps_scores_without_the_trainset(engine):
    blob = engine.dumps()
    loaded = SVDEngine.loads(blob)
    assert loaded.algo is None and engine.algo is not None
    items = engine.known_items()
    for user in (100, 9999):
        context = UserContext(user_id=user)
        np.testing.assert_array_equal(loaded.score(context, items), engine.score(context, items))
    assert len(blob) < 50_000


def test_similar_items_follow_the_groups(engine):
    similar = engine.similar_items(1000, 3)
    assert len(similar) == 3 and 1000 not in similar.item_ids
    assert all((item - 1000) % 3 == 0 for item in similar.item_ids)
    assert len(engine.similar_items(-1, 3)) == 0


def test_tune_picks_the_learning_rate_that_learns(data):
    best = tune(data, {"lr_all": [0.0, 0.02], "n_factors": [4]}, cv=3, config={"n_epochs": 20})
    untrained = tune(data, {"lr_all": [0.0]}, cv=3, config={"n_epochs": 20})
    assert best["params"] == {"lr_all": 0.02, "n_factors": 4}
    assert 0 < best["mae"] <= best["rmse"] < untrained["rmse"]
    with pytest.raises(ValueError):
        tune(data, {"rating_scale": [(0, 5)]})
