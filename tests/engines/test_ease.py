"""ease: the engine contract, the feedback behaviour on taste groups, and EASE specifics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from engines.base import TrainingData, UserContext
from engines.ease import EASEEngine, ease_weights, mirror_lower
from tests.engines.engine_contract import EngineContract
from tests.engines.test_artifacts import FeedbackEngineContract, taste_groups

SMALL = {"l2": 20.0}


class TestEASEContract(EngineContract):
    similar_items_supported = True

    def make_engine(self) -> EASEEngine:
        return EASEEngine(SMALL)

    def make_data(self) -> TrainingData:
        return taste_groups(n_users=15)

    def make_context(self, data: TrainingData) -> UserContext:
        return UserContext(user_id=1)


class TestEASEFeedback(FeedbackEngineContract):
    explains = True

    def make_feedback_engine(self) -> EASEEngine:
        return EASEEngine(SMALL)


class TestEASEOnConfidenceFeedback(FeedbackEngineContract):
    explains = True

    def make_feedback_engine(self) -> EASEEngine:
        return EASEEngine({"l2": 50.0, "binary": False})


def closed_form(x: np.ndarray, l2: float) -> np.ndarray:
    """Steck's B in float64, straight from the paper."""
    inverse = np.linalg.inv(x.T @ x + l2 * np.eye(x.shape[1]))
    weights = -inverse / np.diag(inverse)[np.newaxis, :]
    np.fill_diagonal(weights, 0.0)
    return weights


def test_weights_equal_the_closed_form():
    x = sparse.random(40, 15, density=0.3, format="csr", dtype=np.float32, random_state=1)
    np.testing.assert_allclose(ease_weights(x, 3.0), closed_form(x.toarray().astype(np.float64), 3.0), atol=1e-5)


def test_blocks_make_no_difference():
    x = sparse.random(50, 9, density=0.4, format="csr", dtype=np.float32, random_state=2)
    square = np.tril(np.arange(81, dtype=np.float32).reshape(9, 9))
    expected = square + np.tril(square, -1).T
    mirror_lower(square, block=4)
    np.testing.assert_array_equal(square, expected)
    np.testing.assert_allclose(ease_weights(x, 1.0), closed_form(x.toarray().astype(np.float64), 1.0), atol=1e-5)


def test_scores_are_the_binary_row_times_b():
    data = taste_groups()
    engine = EASEEngine(SMALL).fit(data)
    x = (engine._feedback.matrix > 0).astype(np.float64).toarray()
    row = engine._feedback.users.get_loc(7)
    np.testing.assert_allclose(
        engine.score(UserContext(user_id=7), engine.known_items()), x[row] @ closed_form(x, 20.0), atol=1e-4
    )


def test_only_the_most_played_items_are_kept():
    data = taste_groups()
    plays = pd.concat([data.plays, pd.DataFrame({"user_id": [1], "item_id": [5555], "timestamp": [1]})])
    engine = EASEEngine(SMALL | {"max_items": 10}).fit(TrainingData(plays=plays, items=data.items))
    listeners = plays.drop_duplicates(["user_id", "item_id"])["item_id"].value_counts()
    kept = engine.known_items()
    outside = np.setdiff1d(listeners.index, kept)
    assert len(kept) == 10 and 5555 in outside
    assert listeners[kept].min() >= listeners[outside].max()
    assert np.isnan(engine.score(UserContext(user_id=2), outside)).all()
    assert not np.isin(outside, engine.candidates(UserContext(user_id=2))).any()
    assert engine._weights.shape == (10, 10) and engine._weights.dtype == np.float32


def test_singular_data_still_inverts_thanks_to_l2():
    plays = pd.DataFrame({"user_id": [1, 1, 2, 2], "item_id": [10, 11, 10, 11], "timestamp": 0})
    engine = EASEEngine({"l2": 1.0}).fit(TrainingData(plays=plays))
    assert np.isfinite(engine._weights).all()


@pytest.mark.parametrize("binary", [True, False])
def test_weights_stay_float32(binary):
    engine = EASEEngine(SMALL | {"binary": binary}).fit(taste_groups(n_users=15))
    assert engine._weights.dtype == np.float32 and engine._weights.flags.c_contiguous
