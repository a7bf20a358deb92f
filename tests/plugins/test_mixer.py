"""The mixer: standardised fusion, weighting, exclusion, artist cap, contributions, fallback."""

import numpy as np
import pytest

from engines.base import ScoredItems, standardise
from plugins.mixer import fuse, rank


def scored(ids, scores, reason=None, because=None):
    return ScoredItems(np.array(ids, dtype=np.int64), np.array(scores, dtype=float),
                       None if because is None else np.array(because), reason)


def test_standardise_is_a_z_score_and_nan_ranks_last():
    z = standardise(np.array([1.0, 2.0, 3.0, np.nan]))
    assert z[:3].tolist() == pytest.approx([-1.2247449, 0.0, 1.2247449])
    assert z[3] == pytest.approx(z[:3].min())
    assert standardise(np.array([5.0, 5.0])).tolist() == [0.0, 0.0]
    assert np.isnan(standardise(np.array([np.nan, np.nan]))).all()


def test_scale_and_offset_of_an_engine_do_not_matter():
    a = np.array([1000.0, 0.0, 500.0])
    b = np.array([0.3, 0.1, 0.2])
    total, _ = fuse({"a": a, "b": b}, {"a": 1.0, "b": 1.0})
    same, _ = fuse({"a": a / 1000 + 7, "b": b}, {"a": 1.0, "b": 1.0})
    assert total.tolist() == pytest.approx(same.tolist())


def test_weights_decide_between_disagreeing_engines():
    a = np.array([1.0, 0.0])
    b = np.array([0.0, 1.0])
    total, parts = fuse({"a": a, "b": b}, {"a": 2.0, "b": 1.0})
    assert total[0] > total[1]
    assert parts["a"].tolist() == pytest.approx([2.0, -2.0]) and parts["b"].tolist() == pytest.approx([-1.0, 1.0])


def test_an_engine_without_any_score_is_left_out_and_unscored_items_are_nan():
    total, parts = fuse({"a": np.array([1.0, 2.0, np.nan]), "b": np.full(3, np.nan)}, {"a": 1.0, "b": 5.0})
    assert set(parts) == {"a"}
    assert total[1] > total[0] and np.isnan(total[2])
    total, parts = fuse({"a": np.array([1.0, 2.0, np.nan]), "b": np.array([0.0, 0.0, 1.0])}, {"a": 1.0, "b": 1.0})
    assert parts["a"][2] == pytest.approx(parts["a"][0])  # "cannot tell" ranks with a's least liked
    total, _ = fuse({"a": np.full(2, np.nan)}, {"a": 1.0})
    assert np.isnan(total).all()


def test_zero_weight_contributes_nothing():
    total, parts = fuse({"a": np.array([1.0, 0.0]), "b": np.array([0.0, 9.0])}, {"a": 1.0, "b": 0.0})
    assert set(parts) == {"a"} and total[0] > total[1]


def test_rank_explains_each_item_by_its_top_engine():
    ids = np.array([1, 2, 3])
    total, parts = fuse({"a": np.array([3.0, 2.0, 1.0]), "b": np.array([0.0, 0.0, 9.0])}, {"a": 1.0, "b": 2.0})
    items = rank(ids, total, parts, 3, explanations={"a": scored([1, 2], [3, 2], because=[100, -1])},
                 reasons={"a": "engine a", "b": "engine b"})
    assert [m.item_id for m in items] == [3, 1, 2]
    assert items[0].top_engine == "b" and items[0].reason == "engine b" and items[0].because is None
    assert items[1].top_engine == "a" and items[1].because == 100
    assert items[0].contributions == pytest.approx({"a": parts["a"][2], "b": parts["b"][2]})
    assert items[0].score == pytest.approx(sum(items[0].contributions.values()))


def test_rank_caps_tracks_per_artist_and_excludes():
    ids = np.arange(1, 7)
    total = np.array([6.0, 5, 4, 3, 2, 1])
    artists = {1: 10, 2: 10, 3: 10, 4: 20, 5: 20, 6: 30}
    items = rank(ids, total, {}, 5, artist_of=artists, max_per_artist=2, exclude={4})
    assert [m.item_id for m in items] == [1, 2, 5, 6]
    uncapped = rank(ids, total, {}, 3, artist_of=artists, max_per_artist=None)
    assert [m.item_id for m in uncapped] == [1, 2, 3]


def test_fallback_fills_to_k_in_order_below_mixed_items():
    demographic = scored([5, 6, 7], [3, 2, 1], reason="popular with men in their 30s")
    popular = scored([7, 8, 9, 10], [4, 3, 2, 1], reason="popular on 4.5Hz")
    items = rank(np.array([5]), np.array([0.0]), {"a": np.array([0.0])}, 5, exclude={9},
                 fallbacks=[("demographic_popular", demographic), ("popularity", popular)])
    assert [m.item_id for m in items] == [5, 6, 7, 8, 10]
    assert items[1].reason == "popular with men in their 30s" and items[3].top_engine == "popularity"
    assert all(a.score > b.score for a, b in zip(items, items[1:]))


def test_cold_start_with_no_engine_answer_still_gets_k():
    popular = scored(list(range(100, 120)), list(range(20, 0, -1)))
    total, parts = fuse({}, {})
    items = rank(np.empty(0, dtype=np.int64), total, parts, 10, fallbacks=[("popularity", popular)])
    assert [m.item_id for m in items] == list(range(100, 110))
