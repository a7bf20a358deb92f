"""SVD engine: vectorised scoring equals surprise's ``predict``, candidates, artifacts, tuning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from surprise import SVD, Dataset, Reader

from engines.artifacts import pack
from engines.base import TrainingData, UserContext
from engines.datasets import LoadedDataset
from engines.evaluation import evaluate
from engines.svd import SVDConfig, SVDEngine, implicit_target, rating_frame, tune
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
        return SVDEngine({"n_factors": 4, "n_epochs": 10, "rating_scale": (1, 5), "seed": 1, "feedback": "ratings"})

    def make_data(self) -> TrainingData:
        return block_ratings(n_users=12, n_items=9)

    def make_context(self, data: TrainingData) -> UserContext:
        return UserContext(user_id=100)


@pytest.fixture(scope="module")
def data() -> TrainingData:
    return block_ratings()


@pytest.fixture(scope="module")
def engine(data) -> SVDEngine:
    return SVDEngine({"n_factors": 8, "n_epochs": 30, "lr_all": 0.01, "seed": 3, "feedback": "ratings"}).fit(data)


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
        {"n_factors": 4, "n_epochs": 40, "lr_all": 0.05, "reg_all": 0.0, "rating_scale": (2, 4),
         "feedback": "ratings"}
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


def taste_plays(
    n_users: int = 80, n_items: int = 160, groups: int = 8, per_user: int = 14, seed: int = 0
) -> TrainingData:
    """Play-only data: users play items of their own group (item % groups == user % groups),
    each a few times; every group is equally popular, so popularity cannot tell them apart."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(n_users):
        own = np.arange(user % groups, n_items, groups)
        for t, item in enumerate(rng.choice(own, size=per_user, replace=False)):
            rows += [(user + 1, item + 1, 10 * t + r) for r in range(rng.integers(1, 4))]
    plays = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    return TrainingData(plays=plays, items=pd.DataFrame({"item_id": np.arange(1, n_items + 1)}))


class Popularity:
    def fit(self, data: TrainingData) -> Popularity:
        self.counts = data.plays["item_id"].value_counts()
        return self

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        return self.counts.reindex(item_ids).fillna(0).to_numpy(dtype=np.float64)


class TestSVDOnPlaysContract(EngineContract):
    similar_items_supported = True

    def make_engine(self) -> SVDEngine:
        return SVDEngine({"n_factors": 4, "n_epochs": 10, "seed": 1})

    def make_data(self) -> TrainingData:
        return taste_plays(n_users=12, n_items=24, groups=3, per_user=5)

    def make_context(self, data: TrainingData) -> UserContext:
        return UserContext(user_id=1)


def test_play_only_data_ranks_held_out_items_above_popularity_and_random():
    dataset = LoadedDataset("taste", taste_plays())
    config = {"n_factors": 8, "n_epochs": 40, "lr_all": 0.02}
    svd = evaluate(lambda: SVDEngine(config), dataset, "hr")
    popular = evaluate(Popularity, dataset, "hr")
    assert svd["hr"] > 0.6 and svd["ndcg"] > 0.3  # random ranking: HR@10 = 0.1
    assert svd["hr"] > popular["hr"] + 0.4


def test_rating_only_data_ranks_by_what_was_rated_not_by_predicted_rating():
    """Users rate items of their own group, the stars at random: which items were rated is
    the signal. The default ranks from it; predicted ratings (``feedback="ratings"``) do not."""
    played = taste_plays()
    rng = np.random.default_rng(4)
    ratings = played.plays.drop_duplicates(["user_id", "item_id"]).assign(
        rating=lambda f: rng.integers(1, 6, size=len(f)).astype(float)
    )
    dataset = LoadedDataset("taste-ratings", TrainingData(ratings=ratings, items=played.items))
    config = {"n_factors": 8, "n_epochs": 40, "lr_all": 0.02}
    default = evaluate(lambda: SVDEngine(config), dataset, "hr")
    predicted = evaluate(lambda: SVDEngine(config | {"feedback": "ratings"}), dataset, "hr")
    assert default["hr"] > 0.6
    assert default["hr"] > predicted["hr"] + 0.3


def test_feedback_auto_follows_the_snapshot(data):
    plays = taste_plays(n_users=6, n_items=12, groups=3, per_user=3).plays
    config = SVDConfig()
    assert config.feedback_for(data) == "implicit"  # ratings only: rated pairs against negatives
    assert config.feedback_for(TrainingData(plays=plays)) == "implicit"
    assert config.feedback_for(TrainingData(ratings=data.ratings, plays=plays)) == "both"
    assert SVDConfig(feedback="ratings").feedback_for(TrainingData(plays=plays)) == "ratings"
    with pytest.raises(ValueError, match="needs at least one rating or play"):
        SVDEngine({"feedback": "ratings"}).fit(TrainingData(plays=plays))
    with pytest.raises(ValueError):
        SVDConfig(feedback="plays")


def test_ratings_only_training_is_the_explicit_model(data, engine):
    same = SVDEngine(
        {"n_factors": 8, "n_epochs": 30, "lr_all": 0.01, "seed": 3, "feedback": "ratings",
         "negatives": 7}
    ).fit(data)  # fmt: skip
    assert engine.feedback == same.feedback == "ratings"
    for name in ("pu", "qi", "bu", "bi"):
        np.testing.assert_array_equal(getattr(engine, name), getattr(same, name))


def test_implicit_targets_grow_with_confidence_and_negatives_sit_at_the_low_end():
    targets = implicit_target(np.array([np.log(2), np.log(11), np.log(101)]), (0.0, 5.0))
    np.testing.assert_allclose(targets, [2.5, 5 * 10 / 11, 5 * 100 / 101])
    data = taste_plays(n_users=10, n_items=40, per_user=4)
    frame = rating_frame(data, SVDConfig(negatives=3, rating_scale=(1, 5)))
    positives, negatives = frame[frame["positive"]], frame[~frame["positive"]]
    pairs = data.plays[["user_id", "item_id"]].drop_duplicates()
    assert len(positives) == len(pairs) and (positives["rating"] > 1).all()
    assert (negatives["rating"] == 1).all() and 0 < len(negatives) <= 3 * len(pairs)
    keys = pd.MultiIndex.from_frame(pairs)
    assert not pd.MultiIndex.from_frame(negatives[["user_id", "item_id"]]).isin(keys).any()
    again = rating_frame(data, SVDConfig(negatives=3, rating_scale=(1, 5)))
    pd.testing.assert_frame_equal(frame, again)  # seeded


def test_plays_and_ratings_together(data):
    plays = pd.DataFrame({"user_id": [100, 100, 101], "item_id": [5000, 5000, 1000],
                          "timestamp": [1, 2, 3]})  # fmt: skip
    extended = TrainingData(ratings=data.ratings, plays=plays)
    explicit = SVDEngine({"n_epochs": 2, "feedback": "ratings"}).fit(extended)
    assert 5000 not in explicit.known_items()
    both = SVDEngine({"n_epochs": 2}).fit(extended)
    assert both.feedback == "both" and 5000 in both.known_items()
    assert 5000 not in both.candidates(UserContext(user_id=100))
    frame = rating_frame(extended, both.config)
    rated = frame[frame["positive"]].merge(data.ratings, on=["user_id", "item_id"])
    np.testing.assert_array_equal(rated["rating_x"], rated["rating_y"])  # ratings stay as they are
    assert len(frame[frame["positive"]]) == len(data.ratings) + 1 + (
        not ((data.ratings["user_id"] == 101) & (data.ratings["item_id"] == 1000)).any()
    )
    alias = SVDEngine({"n_epochs": 2, "use_plays_as_implicit": True})
    assert alias.config.feedback == "both"


def test_implicit_model_keeps_negatives_as_candidates_and_scores_unclipped():
    data = taste_plays(n_users=20, n_items=40, per_user=5)
    engine = SVDEngine({"n_factors": 4, "n_epochs": 60, "lr_all": 0.05, "reg_all": 0.0,
                        "rating_scale": (0, 1)}).fit(data)  # fmt: skip
    played = set(data.plays.loc[data.plays["user_id"] == 1, "item_id"])
    candidates = set(engine.candidates(UserContext(user_id=1)).tolist())
    assert candidates == set(engine.known_items().tolist()) - played
    scores = engine.score(UserContext(user_id=1), engine.known_items())
    assert scores.max() > 1 or scores.min() < 0  # unclipped: no ties at the scale's ends
    assert len(engine.candidates(UserContext(user_id=424242))) == 0


def test_artifact_round_trip_keeps_scores_without_the_trainset(engine):
    blob = engine.dumps()
    loaded = SVDEngine.loads(blob)
    assert loaded.algo is None and engine.algo is not None
    items = engine.known_items()
    for user in (100, 9999):
        context = UserContext(user_id=user)
        np.testing.assert_array_equal(loaded.score(context, items), engine.score(context, items))
    assert len(blob) < 50_000


@pytest.mark.parametrize("config", [{"biased": False}, {"feedback": "both"}, {"feedback": "implicit", "negatives": 0}])
def test_artifact_round_trip_of_every_feedback_and_bias(config):
    plays = taste_plays(n_users=12, n_items=24, groups=3, per_user=5).plays
    ratings = plays.drop_duplicates(["user_id", "item_id"]).iloc[::3].assign(rating=4.0)
    data = TrainingData(ratings=ratings[["user_id", "item_id", "rating", "timestamp"]], plays=plays)
    engine = SVDEngine({"n_factors": 3, "n_epochs": 5, "seed": 2} | config).fit(data)
    loaded = SVDEngine.loads(engine.dumps())
    assert loaded.feedback == engine.feedback and loaded.config == engine.config
    for user in (1, 5, 9999):
        context = UserContext(user_id=user)
        np.testing.assert_array_equal(loaded.score(context, engine.known_items()), engine.score(context, engine.known_items()))
        np.testing.assert_array_equal(loaded.candidates(context), engine.candidates(context))
    assert (loaded._rated != engine._rated).nnz == 0


def test_an_incomplete_svd_artifact_is_refused(engine):
    with pytest.raises(TypeError, match="incomplete"):
        SVDEngine.loads(pack("svd", {"config": {}, "feedback": "ratings"}, {"users": np.arange(3)}))


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
