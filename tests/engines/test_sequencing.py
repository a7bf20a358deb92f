"""Radio ordering: artist spacing in every window of 3, smooth tempo and energy, edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from engines.sequencing import mean_abs_step, order, spacing_holds, standardise


def candidates(n: int, artists: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    features = np.column_stack([rng.uniform(70, 180, n), rng.uniform(0.05, 1.0, n)])
    return features, rng.integers(0, artists, n)


@pytest.mark.parametrize("seed", range(5))
def test_every_window_of_three_has_three_artists(seed):
    features, artists = candidates(40, 8, seed)
    path = order(features, artists)
    assert len(path) == 40 and len(set(path.tolist())) == len(path)
    for first in range(len(path) - 2):
        window = artists[path[first:first + 3]]
        assert len(set(window.tolist())) == 3, (first, window)


def test_the_order_is_smoother_than_the_candidates():
    features, artists = candidates(50, 12)
    path = order(features, artists)
    assert len(path) == 50
    unordered, ordered = mean_abs_step(features[:, 0]), mean_abs_step(features[path, 0])
    assert ordered < unordered / 2, f"mean absolute tempo step: ordered {ordered:.1f} BPM, unordered {unordered:.1f} BPM"
    assert mean_abs_step(features[path, 1]) < mean_abs_step(features[:, 1])


def test_two_opt_leaves_no_shorter_reversal():
    features, _ = candidates(30, 1)
    path = order(features, np.arange(30)).tolist()  # every track its own artist: only smoothness counts
    points = standardise(features)

    def length(p):
        return float(np.linalg.norm(np.diff(points[p], axis=0), axis=1).sum())

    best = length(path)
    for i in range(1, len(path) - 1):
        for j in range(i + 1, len(path)):
            assert length(path[:i] + path[i:j + 1][::-1] + path[j + 1:]) >= best - 1e-9


def test_the_sequence_starts_with_the_start_and_stops_at_k():
    features, artists = candidates(20, 10)
    path = order(features, artists, start=5, k=8)
    assert path[0] == 5 and len(path) == 8


def test_fewer_candidates_than_k_gives_them_all():
    features, artists = candidates(4, 4)
    assert sorted(order(features, artists, k=25).tolist()) == [0, 1, 2, 3]


def test_one_artist_gives_one_track():
    features, _ = candidates(6, 1)
    assert order(features, np.zeros(6, dtype=np.int64), k=6).tolist() == [0]


def test_two_artists_alternate_as_far_as_the_spacing_allows():
    features, _ = candidates(6, 2)
    path = order(features, np.array([1, 1, 1, 2, 2, 2]))
    assert len(path) == 2  # a third track would repeat one of the two artists within 3


def test_missing_tempo_sits_in_the_middle_and_is_still_placed():
    features = np.array([[100.0, 0.2], [np.nan, 0.5], [140.0, 0.8], [np.nan, np.nan], [120.0, 0.5]])
    path = order(features, np.arange(5))
    assert sorted(path.tolist()) == [0, 1, 2, 3, 4]
    assert not np.isnan(standardise(features)).any()
    assert mean_abs_step(np.array([100.0, np.nan, 120.0, 121.0])) == 1.0


def test_all_tempos_missing_is_no_error():
    features = np.full((3, 2), np.nan)
    assert sorted(order(features, np.arange(3)).tolist()) == [0, 1, 2]


def test_spacing_check_and_bad_input():
    assert spacing_holds(np.array([1, 2, 3, 1, 2, 3]))
    assert not spacing_holds(np.array([1, 2, 1]))
    assert order(np.empty((0, 2)), np.empty(0)).tolist() == []
    with pytest.raises(ValueError):
        order(np.zeros((2, 2)), np.arange(3))
