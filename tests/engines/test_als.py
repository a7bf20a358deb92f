"""als: the engine contract, the feedback behaviour on taste groups, and ALS specifics."""

from __future__ import annotations

import implicit.gpu
import numpy as np
import pytest

from engines.als import ALSEngine, hu_confidence
from engines.base import TrainingData, UserContext
from tests.engines.engine_contract import EngineContract
from tests.engines.test_artifacts import FeedbackEngineContract, history, taste_groups

SMALL = {"factors": 8, "iterations": 10, "regularization": 1.0, "seed": 3}


class TestALSContract(EngineContract):
    similar_items_supported = True
    deterministic_fit = not implicit.gpu.HAS_CUDA

    def make_engine(self) -> ALSEngine:
        return ALSEngine(SMALL)

    def make_data(self) -> TrainingData:
        return taste_groups(n_users=15)

    def make_context(self, data: TrainingData) -> UserContext:
        return UserContext(user_id=1)


class TestALSFeedback(FeedbackEngineContract):
    def make_feedback_engine(self) -> ALSEngine:
        return ALSEngine(SMALL)


@pytest.fixture(scope="module")
def engine() -> ALSEngine:
    return ALSEngine(SMALL | {"use_gpu": False}).fit(taste_groups())


def test_user_factors_solve_the_weighted_least_squares(engine):
    """Hu et al.'s normal equations: (YᵀY + Yᵀ(C - I)Y + λI) x = Yᵀ C p, with C = 1 + α c."""
    context = UserContext(user_id=5)
    row = engine._feedback.user_row(context)
    factors = engine._model.item_factors.astype(np.float64)
    columns, confidence = row.indices, hu_confidence(row, engine.config.alpha).data.astype(np.float64)
    seen = factors[columns]
    lhs = factors.T @ factors + seen.T @ ((confidence - 1)[:, None] * seen)
    lhs += engine.config.regularization * np.eye(len(lhs))
    expected = np.linalg.solve(lhs, seen.T @ confidence)
    np.testing.assert_allclose(engine.user_factors(row), expected, rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(engine.score(context, engine.known_items()), factors @ expected, rtol=1e-3, atol=1e-5)


def test_alpha_weighs_confidence_on_top_of_one(engine):
    row = engine._feedback.user_row(UserContext(user_id=5))
    np.testing.assert_allclose(hu_confidence(row, 10.0).data, 1 + 10.0 * row.data)
    assert hu_confidence(row, 10.0) is not row


def test_a_heavier_play_counts_more(engine):
    items, weights = history(taste_groups(), 1)
    light = UserContext(history_item_ids=(*items, 201), history_weights=(*weights, 0.5))
    heavy = UserContext(history_item_ids=(*items, 201), history_weights=(*weights, 5.0))
    group_one = np.arange(202, 212)
    assert engine.score(heavy, group_one).mean() > engine.score(light, group_one).mean()


def test_the_artifact_holds_item_factors_not_user_factors(engine):
    loaded = ALSEngine.loads(engine.dumps())
    np.testing.assert_array_equal(loaded._model.item_factors, engine._model.item_factors)
    assert loaded._model.user_factors is None


def test_one_answer_solves_the_user_factors_once(engine, monkeypatch):
    """Top picks, scores of the shared candidates and explanations reuse the context's row and
    its factors; another context (a new play) gets its own."""
    solves = []
    real = engine._model.recalculate_user
    monkeypatch.setattr(engine._model, "recalculate_user", lambda *a, **k: solves.append(1) or real(*a, **k))
    items, weights = history(taste_groups(), 1)
    context = UserContext(history_item_ids=items, history_weights=weights)
    top = engine.recommend(context, 5)
    engine.score(context, top.item_ids)
    engine.explain(context, top.item_ids)
    assert len(solves) == 1 and engine._feedback.user_row(context) is engine._feedback.user_row(context)
    newer = UserContext(history_item_ids=(*items, 201), history_weights=(*weights, 5.0))
    assert engine._feedback.user_row(newer).nnz == engine._feedback.user_row(context).nnz + 1
    np.testing.assert_allclose(engine.score(context, top.item_ids), top.scores, rtol=1e-6)
    assert len(solves) == 2  # the last row is newer's now: context's is built and solved again
