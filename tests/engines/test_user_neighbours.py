"""user_neighbours: cosine neighbours against a brute-force computation, and the similar_listeners engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engines.base import TrainingData, UserContext
from engines.user_neighbours import REASON, SimilarListeners, neighbours_frame, play_matrix, top_neighbours
from tests.engines.engine_contract import EngineContract


def random_counts(seed: int = 0, users: int = 40, items: int = 30) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.poisson(0.6, (users, items)) * (rng.random((users, items)) < 0.3)


def brute_force(counts: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
    """Per row: (other row, cosine) of the k most similar rows sharing something, ties by row."""
    norms = np.linalg.norm(counts, axis=1)
    cos = counts @ counts.T / np.outer(np.where(norms > 0, norms, 1), np.where(norms > 0, norms, 1))
    out = []
    for i, row in enumerate(np.round(cos, 9)):
        pairs = sorted(((j, v) for j, v in enumerate(row) if j != i and v > 0), key=lambda p: (-p[1], p[0]))
        out.append(pairs[:k])
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("block_rows", [7, 512])
def test_neighbours_match_brute_force_cosine(seed, block_rows):
    counts = random_counts(seed)
    users, items = np.nonzero(counts)
    plays = play_matrix(users, items, counts[users, items])
    rows, sims = top_neighbours(plays.matrix, 5, block_rows=block_rows)
    expected = brute_force(counts[plays.users][:, plays.items], 5)
    for i, pairs in enumerate(expected):
        got = [(int(r), s) for r, s in zip(rows[i], sims[i], strict=True) if r >= 0]
        assert [r for r, _ in got] == [r for r, _ in pairs]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in pairs])


def test_self_is_never_a_neighbour_and_ties_go_to_the_smaller_id():
    # users 10, 20, 30 play exactly the same: every pair has similarity 1
    plays = play_matrix([30, 20, 10, 30, 20, 10], [1, 1, 1, 2, 2, 2])
    frame = neighbours_frame(plays, 5)
    assert frame[frame.user_id == 30].neighbour_id.tolist() == [10, 20]
    assert frame[frame.user_id == 10].neighbour_id.tolist() == [20, 30]
    assert (frame.user_id != frame.neighbour_id).all()
    np.testing.assert_allclose(frame.similarity, 1.0)
    assert frame[frame.user_id == 20]["rank"].tolist() == [1, 2]


def test_users_without_shared_tracks_have_no_neighbours():
    plays = play_matrix([1, 2, 3], [100, 200, 100], [3, 1, 1])
    frame = neighbours_frame(plays, 5)
    assert frame[["user_id", "neighbour_id"]].values.tolist() == [[1, 3], [3, 1]]


def test_repeated_plays_are_counted():
    plays = play_matrix([1, 1, 1, 2], [100, 100, 200, 100])
    assert plays.matrix.toarray().tolist() == [[2, 1], [1, 0]]


# user 1 and 2 share tastes; 3 is like 1 a little; 4 is alone
LOG = [(1, 100, 3), (1, 101, 2), (2, 100, 3), (2, 101, 2), (2, 102, 5), (3, 101, 1), (3, 103, 4), (4, 900, 1)]


def log_frame(log=LOG) -> pd.DataFrame:
    rows = [(u, i, t) for u, i, n in log for t in range(n)]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


class TestSimilarListenersContract(EngineContract):
    def make_engine(self) -> SimilarListeners:
        return SimilarListeners({"neighbours": 5})

    def make_data(self) -> TrainingData:
        return TrainingData(plays=log_frame())

    def make_context(self, data: TrainingData) -> UserContext:
        return UserContext(user_id=1)


def test_tracks_are_scored_by_neighbours_plays_weighted_by_similarity():
    engine = SimilarListeners().fit(TrainingData(plays=log_frame()))
    result = engine.recommend(UserContext(user_id=1), 5)
    a, b, c = np.array([3, 2, 0, 0]), np.array([3, 2, 5, 0]), np.array([0, 1, 0, 4])
    cos = lambda x, y: x @ y / np.linalg.norm(x) / np.linalg.norm(y)  # noqa: E731
    assert result.item_ids.tolist() == [102, 103]  # what the neighbours played and user 1 did not
    np.testing.assert_allclose(result.scores, [5 * cos(a, b), 4 * cos(a, c)])
    assert result.reason == REASON


def test_a_user_unknown_at_training_is_placed_by_history():
    engine = SimilarListeners().fit(TrainingData(plays=log_frame()))
    result = engine.recommend(UserContext(user_id=77, history_item_ids=(103,), history_weights=(1.0,)), 5)
    assert result.item_ids.tolist() == [101]  # user 3's other track
    assert len(engine.recommend(UserContext(user_id=4), 5)) == 0  # nobody shares user 4's tracks
