"""The mixer: normalisation, weighting, exclusion, de-duplication, contributions, fallback."""

import numpy as np
import pytest

from engines.base import ScoredItems
from plugins.mixer import FLOOR, mix, normalise


def scored(ids, scores, reason=None, because=None):
    return ScoredItems(np.array(ids, dtype=np.int64), np.array(scores, dtype=float),
                       None if because is None else np.array(because), reason)


def test_normalise_maps_to_floor_and_one():
    assert normalise(np.array([2.0, 4.0, 3.0])).tolist() == pytest.approx([FLOOR, 1.0, (FLOOR + 1) / 2])
    assert normalise(np.array([5.0, 5.0])).tolist() == [1.0, 1.0]


def test_weighted_sum_with_contributions_and_reasons():
    a = scored([1, 2, 3], [10, 5, 0], because=[100, 101, -1])
    b = scored([3, 4], [1.0, 0.0], reason="popular with women in their 20s")
    items = mix({"a": a, "b": b}, {"a": 1.0, "b": 2.0}, k=4)
    assert [m.item_id for m in items] == [3, 1, 2, 4]
    top = items[0]
    assert top.contributions == pytest.approx({"a": FLOOR, "b": 2.0})
    assert top.score == pytest.approx(2.0 + FLOOR) and top.top_engine == "b"
    assert top.reason == "popular with women in their 20s" and top.because is None
    assert items[1].because == 100 and items[1].top_engine == "a"


def test_scale_of_an_engine_does_not_matter():
    a = scored([1, 2], [1000.0, 0.0])
    b = scored([2, 1], [0.3, 0.1])
    items = mix({"a": a, "b": b}, {"a": 1.0, "b": 1.0}, k=2)
    assert items[0].score == pytest.approx(items[1].score)


def test_exclusion_deduplication_and_zero_weight():
    a = scored([1, 2, 3], [3, 2, 1])
    b = scored([2, 9], [1, 0])
    items = mix({"a": a, "b": b}, {"a": 1.0, "b": 0.0}, k=10, exclude={1})
    assert [m.item_id for m in items] == [2, 3]


def test_fallback_fills_to_k_in_order_below_mixed_items():
    a = scored([5], [1.0])
    demographic = scored([5, 6, 7], [3, 2, 1], reason="popular with men in their 30s")
    popular = scored([7, 8, 9, 10], [4, 3, 2, 1], reason="popular on 4.5Hz")
    items = mix({"a": a}, {"a": 1.0}, k=5, exclude={9}, fallbacks=[("demographic_popular", demographic), ("popularity", popular)])
    assert [m.item_id for m in items] == [5, 6, 7, 8, 10]
    assert items[1].reason == "popular with men in their 30s" and items[3].top_engine == "popularity"
    assert all(items[0].score > m.score for m in items[1:])


def test_cold_start_with_no_engine_answer_still_gets_k():
    popular = scored(list(range(100, 120)), list(range(20, 0, -1)))
    items = mix({}, {}, k=10, fallbacks=[("popularity", popular)])
    assert [m.item_id for m in items] == list(range(100, 110))
