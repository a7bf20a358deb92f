"""Calling one recommender through the hooks, the same way for serving, fitting and evaluation."""

from __future__ import annotations

import numpy as np
import pluggy

from engines.base import ScoredItems, UserContext

EMPTY = np.empty(0, dtype=np.int64)


def recommend_items(
    manager: pluggy.PluginManager, name: str, model, context: UserContext, k: int, exclude: np.ndarray = EMPTY
) -> ScoredItems:
    """The engine's top ``k`` for the user (empty when it has none)."""
    result = manager.hook.hz45_recommend(name=name, model=model, context=context, k=k, exclude=exclude)
    return result if result is not None else ScoredItems.empty()


def score_items(
    manager: pluggy.PluginManager, name: str, model, context: UserContext, item_ids: np.ndarray,
    answered: ScoredItems | None = None,
) -> np.ndarray:
    """Scores of ``item_ids`` (NaN where the engine cannot tell).

    A plugin without ``hz45_score`` is scored from its ``hz45_recommend`` answer (``answered``
    when the caller already has it, else a fresh one over enough items): items it did not
    return get NaN.
    """
    item_ids = np.asarray(item_ids, dtype=np.int64)
    scores = manager.hook.hz45_score(name=name, model=model, context=context, item_ids=item_ids)
    if scores is not None:
        return np.asarray(scores, dtype=np.float64)
    if answered is None:
        answered = recommend_items(manager, name, model, context, max(1000, 10 * len(item_ids)))
    lookup = dict(zip(answered.item_ids.tolist(), np.asarray(answered.scores, dtype=np.float64).tolist(), strict=True))
    return np.array([lookup.get(i, np.nan) for i in item_ids.tolist()], dtype=np.float64)
