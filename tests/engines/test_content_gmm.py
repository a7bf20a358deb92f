"""content_gmm: two well-separated blobs of audio features, whose answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engines.artifacts import pack
from engines.base import TrainingData, UserContext
from engines.content_gmm import CONTINUOUS_FEATURES, ContentGMM, ContentGMMConfig
from tests.engines.engine_contract import EngineContract

BLOB_SIZE = 30
BLOB_A = np.arange(100, 100 + BLOB_SIZE)
BLOB_B = np.arange(200, 200 + BLOB_SIZE)
NO_FEATURES = 999
TWIN = 300  # identical features to BLOB_A[5]


def blob_items() -> pd.DataFrame:
    """Two tight blobs (calm acoustic vs loud dance), a twin of one item, one featureless item."""
    rng = np.random.default_rng(7)
    calm = dict(danceability=0.2, energy=0.15, loudness=-20, speechiness=0.04,
                acousticness=0.9, instrumentalness=0.6, liveness=0.1, valence=0.2, tempo=80)  # fmt: skip
    loud = dict(danceability=0.85, energy=0.9, loudness=-4, speechiness=0.2,
                acousticness=0.05, instrumentalness=0.0, liveness=0.3, valence=0.8, tempo=128)  # fmt: skip
    frames = []
    for ids, centre in [(BLOB_A, calm), (BLOB_B, loud)]:
        frames.append(
            pd.DataFrame(
                {"item_id": ids}
                | {name: value + rng.normal(0, 0.02 * (abs(value) + 1), len(ids))
                   for name, value in centre.items()}  # fmt: skip
            )
        )
    items = pd.concat(frames, ignore_index=True)
    twin = items[items["item_id"] == BLOB_A[5]].assign(item_id=TWIN)
    featureless = pd.DataFrame({"item_id": [NO_FEATURES]} | dict.fromkeys(calm, [np.nan]))
    items = pd.concat([items, twin, featureless], ignore_index=True)
    return items.assign(key=5, mode=1, time_signature=4, popularity=50)


def fitted(**config) -> ContentGMM:
    return ContentGMM(config).fit(TrainingData(items=blob_items()))


class TestContentGMMContract(EngineContract):
    similar_items_supported = True

    def make_engine(self) -> ContentGMM:
        return ContentGMM({"component_candidates": (2, 3, 4), "silhouette_sample": 50})

    def make_data(self) -> TrainingData:
        return TrainingData(items=blob_items())

    def make_context(self, data: TrainingData) -> UserContext:
        return UserContext(user_id=1, recent_item_ids=(int(BLOB_A[0]), int(BLOB_B[0])))


@pytest.mark.parametrize("criterion", ["bic", "silhouette"])
def test_finds_the_two_blobs(criterion):
    engine = fitted(criterion=criterion)
    assert engine.metrics["n_components"] == 2
    assert engine.metrics["silhouette"] > 0.7
    assert {"bic_2", "bic_3", "silhouette_2"} <= set(engine.metrics)
    clusters = engine.item_annotations().set_index("item_id")["gmm_cluster"]
    assert clusters[BLOB_A].nunique() == 1 and clusters[BLOB_B].nunique() == 1
    assert clusters[BLOB_A[0]] != clusters[BLOB_B[0]]


def test_item_annotations_cover_items_with_features_only():
    frame = fitted().item_annotations()
    assert list(frame.columns) == ["item_id", "pca_x", "pca_y", "gmm_cluster"]
    assert NO_FEATURES not in frame["item_id"].values
    assert len(frame) == 2 * BLOB_SIZE + 1
    assert frame[["pca_x", "pca_y"]].notna().all().all()


def test_similar_items_stay_in_the_blob_and_find_the_twin():
    engine = fitted()
    result = engine.similar_items(int(BLOB_A[5]), 10)
    assert result.item_ids[0] == TWIN
    assert result.scores[0] == pytest.approx(1.0)
    assert np.isin(result.item_ids, [*BLOB_A, TWIN]).all()
    assert (result.because == BLOB_A[5]).all()
    assert np.isin(engine.similar_items(int(BLOB_B[3]), 10).item_ids, BLOB_B).all()


def test_similar_items_never_leave_the_cluster():
    rng = np.random.default_rng(3)
    features = ("energy", "valence", "tempo")
    items = pd.DataFrame({"item_id": np.arange(120)} | {f: rng.uniform(size=120) for f in features})
    engine = ContentGMM({"features": features, "component_candidates": (3,)})
    engine.fit(TrainingData(items=items))
    cluster = engine.item_annotations().set_index("item_id")["gmm_cluster"]
    standard = (items[list(features)] - items[list(features)].mean()) / items[list(features)].std(ddof=0)
    unit = (standard.T / np.linalg.norm(standard, axis=1)).T.to_numpy()
    crossing = 0
    for item in items["item_id"]:
        similar = engine.similar_items(int(item), 5).item_ids
        assert (cluster[similar] == cluster[item]).all()
        unrestricted = np.argsort(-(unit @ unit[item]))[1:6]
        crossing += (cluster[unrestricted].to_numpy() != cluster[item]).any()
    assert crossing > 0, "plain cosine must leave the cluster somewhere for this test to mean anything"


def test_similar_items_fall_back_to_the_catalogue_when_the_cluster_is_small():
    result = fitted().similar_items(int(BLOB_B[0]), BLOB_SIZE + 5)
    assert len(result) == BLOB_SIZE + 5
    assert np.isin(result.item_ids[: BLOB_SIZE - 1], BLOB_B).all()


def test_items_without_features_are_unknown():
    engine = fitted()
    assert NO_FEATURES not in engine.known_items()
    assert len(engine.similar_items(NO_FEATURES, 5)) == 0


def test_recommend_takes_each_seeds_neighbourhood_and_explains_it():
    engine = fitted()
    seeds = (int(BLOB_A[0]), int(BLOB_B[0]), int(BLOB_B[1]))  # only the first two count
    result = engine.recommend(UserContext(user_id=1, recent_item_ids=seeds), 100)
    assert len(result) == 2 * 15
    assert not np.isin(seeds[:2], result.item_ids).any()
    from_a = np.isin(result.item_ids, [*BLOB_A, TWIN])
    assert from_a.sum() == 15
    assert (result.because[from_a] == seeds[0]).all()
    assert (result.because[~from_a] == seeds[1]).all()


def test_explicit_seeds_win_over_recent_plays():
    context = UserContext(recent_item_ids=(int(BLOB_A[0]),), seed_item_ids=(int(BLOB_B[0]),))
    result = fitted().recommend(context, 100)
    assert len(result) == 15 and np.isin(result.item_ids, BLOB_B).all()


def test_sample_is_reproducible_and_seeded():
    context = UserContext(user_id=7, recent_item_ids=(int(BLOB_A[0]), int(BLOB_B[0])))
    engine = fitted()
    first = engine.sample(context)
    assert len(first) == 4
    np.testing.assert_array_equal(engine.sample(context).item_ids, first.item_ids)
    assert np.all(np.diff(first.scores) <= 0)
    pool = engine.recommend(context, 30).item_ids
    assert np.isin(first.item_ids, pool).all()
    by_seed = {tuple(fitted(seed=seed).sample(context).item_ids) for seed in range(4)}
    by_user = {
        tuple(engine.sample(UserContext(user_id=user, recent_item_ids=context.recent_item_ids)).item_ids)
        for user in range(4)
    }
    assert len(by_seed) > 1 and len(by_user) > 1
    assert len(engine.sample(context, n=2, exclude=first.item_ids)) == 2
    assert not np.isin(engine.sample(context, n=30, exclude=first.item_ids).item_ids, first.item_ids).any()


def test_serving_a_sample_as_the_deck_did():
    context = UserContext(user_id=7, recent_item_ids=(int(BLOB_A[0]), int(BLOB_B[0])))
    top = fitted().recommend(context, 30)
    sampler = fitted(serve="sample")
    served = sampler.recommend(context, 10)
    assert len(served) == 4 and np.isin(served.item_ids, top.item_ids).all()
    np.testing.assert_array_equal(served.item_ids, sampler.sample(context).item_ids)
    assert not np.array_equal(served.item_ids, top.item_ids[:4]) or len(top) == 4
    assert len(sampler.recommend(context, 2)) == 2
    with pytest.raises(ValueError, match="serve"):
        fitted(serve="random")


def test_sample_without_seeds_is_empty():
    assert len(fitted().sample(UserContext(user_id=3))) == 0


def test_config_validation():
    assert ContentGMMConfig().features == CONTINUOUS_FEATURES
    with pytest.raises(ValueError):
        ContentGMMConfig(criterion="aic")
    with pytest.raises(ValueError):
        ContentGMMConfig(features=("energy", "tempo"), pca_components=3)
    with pytest.raises(ValueError):
        ContentGMMConfig(component_candidates=(1, 2))


def test_fit_needs_feature_columns_and_enough_items():
    with pytest.raises(ValueError, match="lack feature columns"):
        ContentGMM().fit(TrainingData(items=pd.DataFrame({"item_id": [1, 2, 3]})))
    with pytest.raises(ValueError, match="too few"):
        ContentGMM().fit(TrainingData(items=blob_items().head(2)))


@pytest.mark.parametrize("serve", ["top", "sample"])
def test_artifact_round_trip_serves_identically(serve):
    engine = fitted(serve=serve)
    loaded = ContentGMM.loads(engine.dumps())
    assert loaded.config == engine.config and loaded.metrics == pytest.approx(engine.metrics, nan_ok=True)
    pd.testing.assert_frame_equal(loaded.item_annotations(), engine.item_annotations())
    for seeds in [(int(BLOB_A[0]), int(BLOB_B[0])), (TWIN,), (NO_FEATURES,)]:
        context = UserContext(user_id=7, recent_item_ids=seeds)
        before, after = engine.recommend(context, 10), loaded.recommend(context, 10)
        np.testing.assert_array_equal(after.item_ids, before.item_ids)
        np.testing.assert_array_equal(after.scores, before.scores)
        np.testing.assert_array_equal(after.because, before.because)
        np.testing.assert_array_equal(loaded.sample(context, salt=3).item_ids, engine.sample(context, salt=3).item_ids)
    for item in (int(BLOB_A[5]), int(BLOB_B[0])):
        for k in (5, BLOB_SIZE + 5):  # within the cluster, and falling back to the catalogue
            np.testing.assert_array_equal(loaded.similar_items(item, k).item_ids, engine.similar_items(item, k).item_ids)
            np.testing.assert_array_equal(loaded.similar_items(item, k).scores, engine.similar_items(item, k).scores)


def test_an_incomplete_or_inconsistent_artifact_is_refused():
    with pytest.raises(TypeError, match="incomplete"):
        ContentGMM.loads(pack("content_gmm", {}, {"ids": np.arange(3)}))
    arrays = {"ids": np.arange(3), "unit": np.ones((3, 9)), "pca": np.ones((3, 2)), "labels": np.zeros(2, np.int64)}
    with pytest.raises(TypeError, match="inconsistent"):
        ContentGMM.loads(pack("content_gmm", {}, arrays))

