"""engines/artifacts.py: the data-only artifact format, and the contract of its FeedbackEngine.

:class:`FeedbackEngineContract` is the shared behaviour of ``als``, ``item_knn`` and ``ease``
on :func:`taste_groups` data (whose right answers are known); each engine's test subclasses it.
"""

from __future__ import annotations

import io
import os
import pickle

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from engines.als import ALSEngine
from engines.artifacts import pack, pack_csr, unfitted_from, unpack, unpack_csr
from engines.base import Engine, TrainingData, UserContext
from engines.datasets import LoadedDataset
from engines.evaluation import evaluate
from engines.feedback import interaction_confidence
from tests.engines.engine_contract import UNKNOWN_ID
from tests.support.pickles import CreatesAFile

# -- the format ------------------------------------------------------------------------


def test_pack_unpack_round_trip():
    arrays = {"ids": np.arange(5, dtype=np.int64), "factors": np.ones((5, 3), dtype=np.float32)}
    meta = {"config": {"factors": 3, "half_life_days": None}, "metrics": {"users": 2.0}}
    got_meta, got = unpack(pack("als", meta, arrays), "als")
    assert got_meta == meta
    assert set(got) == set(arrays)
    for name, array in arrays.items():
        np.testing.assert_array_equal(got[name], array)
        assert got[name].dtype == array.dtype


def test_csr_round_trip():
    matrix = sparse.random(7, 11, density=0.3, format="csr", dtype=np.float32, random_state=0)
    _, arrays = unpack(pack("x", {}, pack_csr("m", matrix)), "x")
    back = unpack_csr(arrays, "m")
    assert back.shape == matrix.shape and back.dtype == matrix.dtype
    assert (back != matrix).nnz == 0


def test_another_kind_is_refused():
    with pytest.raises(TypeError, match="'ease', not 'als'"):
        unpack(pack("ease", {}, {}), "als")


def test_a_pickle_is_refused_without_being_run(tmp_path):
    target = tmp_path / "pwned"
    blob = pickle.dumps(CreatesAFile(str(target)))
    with pytest.raises(TypeError, match=r"not a 4\.5Hz als artifact"):
        unpack(blob, "als")
    assert not target.exists()
    pickle.loads(blob).close()  # the payload does what it says when it is unpickled
    assert target.exists()


def test_an_archive_with_a_pickled_array_is_refused_without_being_run(tmp_path):
    target = tmp_path / "pwned"
    tampered = np.empty(1, dtype=object)
    tampered[0] = CreatesAFile(str(target))
    with np.load(io.BytesIO(pack("als", {}, {"x": np.ones(2)}))) as archive:
        genuine = {name: archive[name] for name in archive.files}  # a valid header and array
    buffer = io.BytesIO()
    np.savez(buffer, **genuine, evil=tampered)
    with pytest.raises(TypeError, match=r"not a 4\.5Hz als artifact"):
        unpack(buffer.getvalue(), "als")
    assert not target.exists()


@pytest.mark.parametrize(
    "blob",
    [b"", b"garbage", b"PK\x03\x04 truncated zip", os.urandom(64)],
    ids=["empty", "garbage", "broken-zip", "random"],
)
def test_foreign_bytes_are_refused(blob):
    with pytest.raises(TypeError):
        unpack(blob, "als")


def test_foreign_npz_and_npy_are_refused():
    buffer = io.BytesIO()
    np.savez(buffer, factors=np.ones(3))
    with pytest.raises(TypeError):
        unpack(buffer.getvalue(), "als")
    buffer = io.BytesIO()
    np.save(buffer, np.ones(3))
    with pytest.raises(TypeError):
        unpack(buffer.getvalue(), "als")


def test_an_unknown_format_version_is_refused():
    buffer = io.BytesIO()
    header = np.frombuffer(b'{"format": 999, "kind": "als", "meta": {}}', dtype=np.uint8)
    np.savez(buffer, __header__=header)
    with pytest.raises(TypeError, match="unknown format"):
        unpack(buffer.getvalue(), "als")


def test_pack_refuses_objects_and_the_reserved_name():
    with pytest.raises(TypeError, match="Python objects"):
        pack("als", {}, {"bad": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(ValueError, match="reserved"):
        pack("als", {}, {"__header__": np.ones(1)})


# -- the shared behaviour of feedback engines ------------------------------------------

GROUPS = 3
ITEMS_PER_GROUP = 12
HITS = np.arange(900, 904)  # played by a third of everyone: what popularity would push


def group_items(group: int) -> np.ndarray:
    """Item ids of a taste group: 100.., 200.., 300.."""
    return np.arange(ITEMS_PER_GROUP) + 100 * (group + 1)


def taste_groups(n_users: int = 60, seed: int = 0) -> TrainingData:
    """Users 1..n in three taste groups (``(user - 1) % 3``), each playing about 70% of their
    group's items one to three times; a few hits are played by a third of all users, so
    overall popularity ranks them above any group's items."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(1, n_users + 1):
        own = group_items((user - 1) % GROUPS)
        played = np.concatenate([own[rng.random(len(own)) < 0.7], HITS[rng.random(len(HITS)) < 0.33]])
        rng.shuffle(played)  # the last play, held out in evaluation, is any of them
        for t, item in enumerate(played):
            rows += [(user, int(item), 100 * user + 10 * t + r) for r in range(rng.integers(1, 4))]
    plays = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    catalog = np.concatenate([*map(group_items, range(GROUPS)), HITS])
    return TrainingData(plays=plays, items=pd.DataFrame({"item_id": catalog}))


def history(data: TrainingData, user_id: int) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """The user's ``(history_item_ids, history_weights)`` as the plugin layer would read them."""
    pairs = interaction_confidence(data)
    mine = pairs[pairs["user_id"] == user_id]
    return tuple(mine["item_id"].tolist()), tuple(mine["confidence"].tolist())


class Popularity:
    """Baseline: overall play counts."""

    def fit(self, data: TrainingData) -> Popularity:
        self.counts = data.plays["item_id"].value_counts()
        return self

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        return self.counts.reindex(item_ids).fillna(0).to_numpy(dtype=np.float64)


class FeedbackEngineContract:
    """Behaviour tests for a feedback engine; subclasses provide ``make_feedback_engine`` and
    set ``explains`` where the engine names the played item behind each recommendation."""

    explains: bool = False

    def make_feedback_engine(self):
        raise NotImplementedError

    @pytest.fixture(scope="class")
    def taste(self) -> TrainingData:
        return taste_groups()

    @pytest.fixture(scope="class")
    def engine(self, taste):
        return self.make_feedback_engine().fit(taste)

    def test_ranks_held_out_items_well_above_popularity(self):
        dataset = LoadedDataset("taste", taste_groups(n_users=90, seed=1))
        engine = evaluate(self.make_feedback_engine, dataset, "hr", k=5, n_negatives=20)
        popular = evaluate(Popularity, dataset, "hr", k=5, n_negatives=20)
        assert engine["hr"] > 0.8 and engine["ndcg"] > 0.5  # random: HR@5 of 21 = 0.24
        assert engine["hr"] > popular["hr"] + 0.3

    def test_scores_the_users_own_group_above_the_other_groups(self, engine, taste):
        for user in (1, 2, 3):
            context = UserContext(user_id=user)
            group = (user - 1) % GROUPS
            own = np.setdiff1d(group_items(group), taste.plays.loc[taste.plays["user_id"] == user, "item_id"])
            others = np.concatenate([group_items(g) for g in range(GROUPS) if g != group])
            assert len(own) and engine.score(context, own).min() > engine.score(context, others).max()
            assert np.isin(engine.recommend(context, 1).item_ids, own).all()

    def test_candidates_are_the_items_not_yet_played(self, engine, taste):
        played = set(taste.plays.loc[taste.plays["user_id"] == 1, "item_id"])
        assert set(engine.candidates(UserContext(user_id=1)).tolist()) == set(engine.known_items()) - played

    def test_new_plays_change_the_ranking_without_refitting(self, engine, taste):
        items, weights = history(taste, 1)  # group 0
        others = group_items(1)
        before = UserContext(user_id=1, history_item_ids=items, history_weights=weights)
        new = tuple(int(i) for i in others[:6])
        after = UserContext(user_id=1, history_item_ids=items + new, history_weights=weights + (3.0,) * 6)
        rest = others[6:]
        assert engine.score(after, rest).mean() > engine.score(before, rest).mean()
        top = engine.recommend(after, 3)
        assert np.isin(top.item_ids, others).any()
        assert not np.isin(new, engine.candidates(after)).any()

    def test_history_alone_serves_a_user_unknown_at_training(self, engine):
        seeds = tuple(int(i) for i in group_items(2)[:5])
        context = UserContext(user_id=UNKNOWN_ID, history_item_ids=seeds, history_weights=(1.0,) * 5)
        top = engine.recommend(context, 3)
        assert len(top) == 3 and np.isin(top.item_ids, group_items(2)).all()

    def test_training_row_is_used_when_the_query_has_no_history(self, engine, taste):
        items, weights = history(taste, 4)
        known = engine.known_items()
        with_history = UserContext(user_id=4, history_item_ids=items, history_weights=weights)
        np.testing.assert_allclose(
            engine.score(UserContext(user_id=4), known), engine.score(with_history, known), rtol=1e-5
        )

    def test_unknown_user_and_items_score_nan(self, engine):
        known = engine.known_items()
        assert np.isnan(engine.score(UserContext(user_id=UNKNOWN_ID), known)).all()
        assert np.isnan(engine.score(UserContext(), known)).all()
        only_unknown = UserContext(history_item_ids=(UNKNOWN_ID,), history_weights=(1.0,))
        assert np.isnan(engine.score(only_unknown, known)).all()
        scores = engine.score(UserContext(user_id=1), np.array([UNKNOWN_ID, known[0]]))
        assert np.isnan(scores[0]) and np.isfinite(scores[1])
        assert len(engine.recommend(UserContext(user_id=UNKNOWN_ID), 5)) == 0

    def test_loaded_artifact_scores_identically(self, engine, taste):
        loaded = type(engine).loads(engine.dumps())
        items, weights = history(taste, 2)
        contexts = [UserContext(user_id=2), UserContext(history_item_ids=items[:3], history_weights=weights[:3])]
        for context in contexts:
            np.testing.assert_array_equal(
                loaded.score(context, engine.known_items()), engine.score(context, engine.known_items())
            )
        assert loaded.metrics == engine.metrics

    def test_because_names_a_played_item_of_the_same_group(self, engine, taste):
        top = engine.recommend(UserContext(user_id=1), 5)
        if not self.explains:
            assert top.because is None
            return
        played = taste.plays.loc[taste.plays["user_id"] == 1, "item_id"].to_numpy()
        assert top.because is not None and np.isin(top.because, played).all()
        own = group_items(0)
        assert np.isin(top.because[np.isin(top.item_ids, own)], own).all()

    def test_loads_refuses_another_engines_or_an_incomplete_artifact(self, engine):
        with pytest.raises(TypeError):
            type(engine).loads(pack("someone_else", {}, {}))
        with pytest.raises(TypeError, match="incomplete"):
            type(engine).loads(pack(engine.name, {}, {"users": np.arange(3)}))

    def test_similar_items_are_group_mates(self, engine):
        item = int(group_items(1)[0])
        similar = engine.similar_items(item, 3)
        assert len(similar) == 3 and np.isin(similar.item_ids, group_items(1)).all()

    def test_learns_from_ratings_alone_and_with_plays(self, taste):
        plays = taste.plays.drop_duplicates(["user_id", "item_id"])
        ratings = plays.assign(rating=4.0)[["user_id", "item_id", "rating", "timestamp"]]
        for data in (TrainingData(ratings=ratings), TrainingData(ratings=ratings.iloc[::2], plays=plays)):
            top = self.make_feedback_engine().fit(data).recommend(UserContext(user_id=1), 3)
            assert len(top) == 3 and np.isin(top.item_ids, group_items(0)).all()


class NoArtifactFormat(Engine):
    """An engine that never said how it is stored."""

    name = "no_format"

    def fit(self, data: TrainingData) -> NoArtifactFormat:
        self.fitted = True
        return self

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        return np.zeros(len(item_ids))


def test_an_engine_must_define_its_artifact_format():
    with pytest.raises(NotImplementedError, match="'no_format' defines no artifact format"):
        NoArtifactFormat().fit(TrainingData()).dumps()
    with pytest.raises(NotImplementedError, match="'no_format' defines no artifact format"):
        NoArtifactFormat.loads(b"anything")


def test_meta_that_is_not_a_mapping_is_refused():
    buffer = io.BytesIO()
    header = np.frombuffer(b'{"format": 1, "kind": "als", "meta": [1, 2]}', dtype=np.uint8)
    np.savez(buffer, __header__=header)
    with pytest.raises(TypeError, match="not a mapping"):
        unpack(buffer.getvalue(), "als")


def test_an_artifact_with_another_engines_config_is_refused():
    with pytest.raises(TypeError, match="not a usable als artifact"):
        unfitted_from(ALSEngine, {"config": {"no_such_parameter": 1}})
    engine = unfitted_from(ALSEngine, {"config": {"seed": 4}, "metrics": {"users": 2.0}})
    assert engine.config.seed == 4 and engine.metrics == {"users": 2.0} and not engine.fitted
