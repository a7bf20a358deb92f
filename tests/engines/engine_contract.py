"""The contract every engine in ``engines/`` passes, as a test mixin.

Usage: in ``tests/engines/test_<engine>.py`` subclass :class:`EngineContract` in a class whose
name starts with ``Test`` and provide three builders::

    class TestMyEngine(EngineContract):
        similar_items_supported = True      # the engine serves item-to-item

        def make_engine(self) -> Engine:
            return MyEngine({"epochs": 2})  # unfitted, with a small, fast config

        def make_data(self) -> TrainingData:
            return tiny_data()              # a few dozen rows

        def make_context(self, data: TrainingData) -> UserContext:
            return UserContext(user_id=1)   # a user the engine has something for

Every ``test_*`` below then runs against the engine; engine-specific tests with known
answers go next to it, and may use the ``contract_data`` and ``fitted_engine`` fixtures.
The engine is fitted once per class, so tests must not change it. Set
``deterministic_fit = False`` where two fits with the same seed may differ (e.g. on a GPU).

Every engine stores its model as data: ``loads`` refuses a pickle (without running it), bytes,
another engine's artifact and an unknown format version with ``TypeError``.
"""

from __future__ import annotations

import io
import json
import os
import pickle

import numpy as np
import pandas as pd
import pytest

from engines.artifacts import pack
from engines.base import Engine, NotFittedError, TrainingData, UserContext
from tests.support.pickles import CreatesAFile

UNKNOWN_ID = 987_654_321


def npz(**arrays) -> bytes:
    """An ``np.savez`` archive of ``arrays``."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def foreign_artifacts(name: str) -> dict[str, bytes]:
    """Bytes that engine ``name`` must refuse to load, by what they are."""
    future = json.dumps({"format": 999, "kind": name, "meta": {}}).encode()
    return {
        "pickle": pickle.dumps({"not": "an engine"}),
        "empty": b"",
        "random": os.urandom(256),
        "other-engine": pack("someone_else", {"config": {}}, {"ids": np.arange(3)}),
        "future-format": npz(__header__=np.frombuffer(future, dtype=np.uint8), ids=np.arange(3)),
        "foreign-npz": npz(ids=np.arange(3)),
    }


class EngineContract:
    """Mixin of contract tests; see the module docstring."""

    similar_items_supported: bool = False
    deterministic_fit: bool = True

    def make_engine(self) -> Engine:
        """A fresh, unfitted engine."""
        raise NotImplementedError

    def make_data(self) -> TrainingData:
        """Tiny training data."""
        raise NotImplementedError

    def make_context(self, data: TrainingData) -> UserContext:
        """A user for whom the fitted engine recommends at least three items."""
        raise NotImplementedError

    # -- fixtures -------------------------------------------------------------------
    @pytest.fixture(scope="class")
    def contract_data(self) -> TrainingData:
        return self.make_data()

    @pytest.fixture(scope="class")
    def fitted_engine(self, contract_data) -> Engine:
        return self.make_engine().fit(contract_data)

    @pytest.fixture(scope="class")
    def user_context(self, contract_data) -> UserContext:
        return self.make_context(contract_data)

    # -- lifecycle ------------------------------------------------------------------
    def test_fit_returns_self(self, contract_data):
        engine = self.make_engine()
        assert engine.fit(contract_data) is engine
        assert engine.fitted

    def test_fit_leaves_data_unchanged(self, contract_data):
        before = {name: frame.copy() for name, frame in vars(contract_data).items()}
        self.make_engine().fit(contract_data)
        for name, frame in before.items():
            pd.testing.assert_frame_equal(getattr(contract_data, name), frame)

    def test_not_fitted_raises(self, user_context):
        with pytest.raises(NotFittedError):
            self.make_engine().recommend(user_context, 5)

    def test_fit_is_deterministic(self, contract_data, fitted_engine, user_context):
        if not self.deterministic_fit:
            pytest.skip("engine declares a non-deterministic fit")
        again = self.make_engine().fit(contract_data).recommend(user_context, 10)
        first = fitted_engine.recommend(user_context, 10)
        np.testing.assert_array_equal(again.item_ids, first.item_ids)
        np.testing.assert_allclose(again.scores, first.scores)

    # -- recommend ------------------------------------------------------------------
    @pytest.mark.parametrize("k", [1, 3, 1000])
    def test_recommend_top_k(self, fitted_engine, user_context, k):
        result = fitted_engine.recommend(user_context, k)
        assert 0 < len(result) <= k
        assert len(result.scores) == len(result.item_ids)
        assert len(np.unique(result.item_ids)) == len(result.item_ids)
        assert np.all(np.isfinite(result.scores))
        assert np.all(np.diff(result.scores) <= 0), "best first"
        assert np.isin(result.item_ids, fitted_engine.known_items()).all()
        if result.because is not None:
            assert len(result.because) == len(result.item_ids)

    def test_recommend_k_zero_is_empty(self, fitted_engine, user_context):
        assert len(fitted_engine.recommend(user_context, 0)) == 0

    def test_recommend_scores_agree_with_score(self, fitted_engine, user_context):
        result = fitted_engine.recommend(user_context, 10)
        np.testing.assert_allclose(fitted_engine.score(user_context, result.item_ids), result.scores)

    def test_recommend_never_returns_excluded(self, fitted_engine, user_context):
        first = fitted_engine.recommend(user_context, 3)
        again = fitted_engine.recommend(user_context, 3, exclude=first.item_ids[:2])
        assert not np.isin(again.item_ids, first.item_ids[:2]).any()
        everything = fitted_engine.known_items()
        assert len(fitted_engine.recommend(user_context, 5, exclude=everything)) == 0

    # -- unknown ids ----------------------------------------------------------------
    @pytest.mark.parametrize(
        "context",
        [
            UserContext(),
            UserContext(user_id=UNKNOWN_ID),
            UserContext(user_id=UNKNOWN_ID, age_group=90, gender="OTHER"),
            UserContext(user_id=UNKNOWN_ID, recent_item_ids=(UNKNOWN_ID,)),
            UserContext(seed_item_ids=(UNKNOWN_ID, UNKNOWN_ID + 1)),
        ],
    )
    def test_unknown_user_or_items_are_handled(self, fitted_engine, context):
        result = fitted_engine.recommend(context, 5)
        assert len(result) <= 5
        assert len(np.unique(result.item_ids)) == len(result.item_ids)
        assert not np.isin(UNKNOWN_ID, result.item_ids)

    def test_score_of_unknown_item(self, fitted_engine, user_context):
        known = fitted_engine.known_items()[:1]
        scores = fitted_engine.score(user_context, np.array([UNKNOWN_ID, *known]))
        assert scores.shape == (2,)

    def test_similar_items_of_unknown_item_is_empty(self, fitted_engine):
        assert len(fitted_engine.similar_items(UNKNOWN_ID, 5)) == 0

    # -- item to item ---------------------------------------------------------------
    def test_similar_items(self, fitted_engine):
        item = int(fitted_engine.known_items()[0])
        result = fitted_engine.similar_items(item, 3)
        if not self.similar_items_supported:
            assert len(result) == 0
            return
        assert 0 < len(result) <= 3
        assert item not in result.item_ids
        assert len(np.unique(result.item_ids)) == len(result.item_ids)
        assert np.all(np.diff(result.scores) <= 0)

    # -- persistence and configuration ----------------------------------------------
    def test_dumps_loads_round_trip(self, fitted_engine, user_context):
        loaded = type(fitted_engine).loads(fitted_engine.dumps())
        assert loaded.config == fitted_engine.config
        assert loaded.metrics == pytest.approx(fitted_engine.metrics, nan_ok=True)
        before, after = fitted_engine.recommend(user_context, 10), loaded.recommend(user_context, 10)
        np.testing.assert_array_equal(after.item_ids, before.item_ids)
        np.testing.assert_array_equal(after.scores, before.scores)
        items = fitted_engine.known_items()
        np.testing.assert_array_equal(
            loaded.score(user_context, items), fitted_engine.score(user_context, items)
        )
        item = int(items[0])
        np.testing.assert_array_equal(
            loaded.similar_items(item, 5).item_ids, fitted_engine.similar_items(item, 5).item_ids
        )

    def test_dumps_loads_round_trip_keeps_explanations_and_annotations(self, fitted_engine, user_context):
        loaded = type(fitted_engine).loads(fitted_engine.dumps())
        np.testing.assert_array_equal(loaded.known_items(), fitted_engine.known_items())
        np.testing.assert_array_equal(loaded.candidates(user_context), fitted_engine.candidates(user_context))
        before, after = fitted_engine.recommend(user_context, 10), loaded.recommend(user_context, 10)
        assert (after.because is None) == (before.because is None) and after.reason == before.reason
        if before.because is not None:
            np.testing.assert_array_equal(after.because, before.because)
        for item in fitted_engine.known_items()[:3].tolist():
            similar, again = fitted_engine.similar_items(item, 5), loaded.similar_items(item, 5)
            np.testing.assert_array_equal(again.item_ids, similar.item_ids)
            np.testing.assert_array_equal(again.scores, similar.scores)
        annotations = fitted_engine.item_annotations()
        if annotations is None:
            assert loaded.item_annotations() is None
        else:
            pd.testing.assert_frame_equal(loaded.item_annotations(), annotations)

    @pytest.mark.parametrize("kind", list(foreign_artifacts("x")))
    def test_loads_rejects_foreign_artifact(self, fitted_engine, kind):
        with pytest.raises(TypeError):
            type(fitted_engine).loads(foreign_artifacts(fitted_engine.name)[kind])

    def test_loads_refuses_a_pickle_without_running_it(self, fitted_engine, tmp_path):
        target = tmp_path / "pwned"
        for protocol in (0, 2, pickle.HIGHEST_PROTOCOL):
            with pytest.raises(TypeError):
                type(fitted_engine).loads(pickle.dumps(CreatesAFile(str(target)), protocol=protocol))
            assert not target.exists()

    def test_config_round_trips_through_json(self):
        engine = self.make_engine()
        values = json.loads(json.dumps(engine.config.to_dict()))
        assert engine.config_class.from_dict(values) == engine.config
        assert type(engine)(values).config == engine.config

    def test_config_rejects_unknown_parameters(self):
        engine = self.make_engine()
        with pytest.raises(ValueError):
            engine.config_class.from_dict({"no_such_parameter": 1})
