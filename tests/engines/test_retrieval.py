"""Candidate retrieval by inner product (engines/retrieval.py) and the engines that use it."""

from __future__ import annotations

import numpy as np
import pytest

from engines.als import ALSEngine
from engines.base import UserContext
from engines.retrieval import InnerProductIndex
from engines.svd import SVDEngine
from tests.engines.test_artifacts import taste_groups


def clustered_vectors(n: int, dimension: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Item vectors around 40 taste centres with varied norms (as factor models learn), and
    queries near those centres."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, dimension))
    items = (centres[rng.integers(0, 40, n)] + 0.7 * rng.normal(size=(n, dimension))) * rng.gamma(2, 0.5, (n, 1))
    queries = centres[rng.integers(0, 40, 50)] + rng.normal(size=(50, dimension))
    return items.astype(np.float32), queries.astype(np.float32)


def exact_top(items: np.ndarray, query: np.ndarray, k: int, exclude: np.ndarray) -> np.ndarray:
    scores = items.astype(np.float64) @ query
    scores[exclude] = -np.inf
    return np.argsort(-scores, kind="stable")[:k]


def test_a_small_catalog_is_searched_exactly():
    items, queries = clustered_vectors(3_000)
    index = InnerProductIndex(items)
    assert not index.approximate
    exclude = np.array([5, 17, 17, 2_999])
    for query in queries[:10]:
        np.testing.assert_array_equal(index.top(query, 50, exclude), exact_top(items, query, 50, exclude))
    assert len(index.top(queries[0], 10_000)) == 3_000


def test_a_large_catalog_is_searched_approximately_with_high_recall():
    items, queries = clustered_vectors(40_000)
    index = InnerProductIndex(items, exact_below=20_000)
    assert index.approximate
    rng = np.random.default_rng(1)
    recalls = []
    for query in queries:
        exclude = rng.choice(len(items), 300, replace=False)
        found = index.top(query, 500, exclude)
        assert len(found) == 500 and len(set(found)) == 500
        assert not set(found) & set(exclude)
        scores = items[found].astype(np.float64) @ query
        assert np.all(np.diff(scores) <= 1e-4)  # best first
        recalls.append(len(set(found[:100]) & set(exact_top(items, query, 100, exclude))) / 100)
    assert np.mean(recalls) >= 0.9


def test_a_search_scores_a_small_share_of_a_large_catalog():
    items, queries = clustered_vectors(40_000)
    index = InnerProductIndex(items, exact_below=20_000)
    import faiss

    faiss.cvar.indexIVF_stats.reset()
    index.top(queries[0], 100)
    assert faiss.cvar.indexIVF_stats.ndis < 0.25 * len(items)


@pytest.mark.parametrize("engine_class", [ALSEngine, SVDEngine])
def test_factor_engines_pick_from_the_index_on_a_large_catalog(engine_class):
    data = taste_groups()
    base = {"seed": 3, "retrieval_candidates": 20}
    params = base | ({"factors": 8, "iterations": 10, "regularization": 1.0, "use_gpu": False}
                     if engine_class is ALSEngine else {"n_factors": 8})
    exact = engine_class(params).fit(data)
    indexed = engine_class(params | {"exact_retrieval_below": 1}).fit(data)
    assert indexed._index.approximate and not exact._index.approximate
    context = UserContext(user_id=1)
    everything, shortlist = exact.candidates(context), indexed.candidates(context)
    assert len(shortlist) == 20 and set(shortlist) <= set(everything)
    # The shortlist holds the engine's own best unseen items, so the answer is unchanged.
    top = exact.recommend(context, 5)
    np.testing.assert_array_equal(indexed.recommend(context, 5).item_ids, top.item_ids)
    np.testing.assert_allclose(indexed.score(context, top.item_ids), top.scores)
