"""Adapts any :class:`engines.base.Engine` subclass to the recommender hooks.

A plugin for an engine is one line: ``plugin = EnginePlugin(MyEngine, version="1.0")``,
exposed through the ``hz45.recommenders`` entry-point group. The built-ins are made the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from engines.base import Engine, ScoredItems, TrainingData, UserContext
from plugins.hookspecs import hookimpl


class EnginePlugin:
    """Implements every recommender hook for one engine class."""

    def __init__(
        self,
        engine_class: type[Engine],
        *,
        version: str = "1.0",
        description: str = "",
        needs: tuple[str, ...] = (),
        metric: str | None = None,
        higher_is_better: bool = False,
        builtin: bool = False,
        reason: str | None = None,
        fallback: int | None = None,
        similar: int | None = None,
        tuner: Callable[..., dict[str, Any]] | None = None,
    ) -> None:
        self.engine_class = engine_class
        self.tuner = tuner  # tuner(data, grid, cv=folds, config=params), for hz45 tune
        self.builtin = builtin
        self.name = engine_class.name
        self.info = {
            "name": self.name, "version": version, "builtin": builtin,
            "description": description or (engine_class.__doc__ or "").strip().split("\n")[0],
            "needs": list(needs), "metric": metric, "higher_is_better": higher_is_better,
            "reason": reason, "fallback": fallback, "similar": similar,
            # every EngineConfig has a seed: offline evaluation varies it with --seeds
            "seeded": True,
            "tunable": tuner is not None,
        }

    def _ours(self, name: str) -> bool:
        return name == self.name

    @hookimpl
    def hz45_describe_recommenders(self) -> list[dict[str, Any]]:
        return [dict(self.info)]

    @hookimpl
    def hz45_train(self, name: str, data: TrainingData, params: dict[str, Any]) -> Engine | None:
        if not self._ours(name):
            return None
        return self.engine_class(params).fit(data)

    @hookimpl
    def hz45_model_metrics(self, name: str, model: Engine) -> dict[str, float] | None:
        if not self._ours(name):
            return None
        return {k: float(v) for k, v in model.metrics.items()}

    @hookimpl
    def hz45_recommend(
        self, name: str, model: Engine, context: UserContext, k: int, exclude: np.ndarray
    ) -> ScoredItems | None:
        if not self._ours(name):
            return None
        return model.recommend(context, k, exclude=exclude)

    @hookimpl
    def hz45_score(self, name: str, model: Engine, context: UserContext, item_ids: np.ndarray) -> np.ndarray | None:
        if not self._ours(name):
            return None
        return np.asarray(model.score(context, np.asarray(item_ids, dtype=np.int64)), dtype=np.float64)

    @hookimpl
    def hz45_item_annotations(self, name: str, model: Engine):
        return model.item_annotations() if self._ours(name) else None

    @hookimpl
    def hz45_similar_items(self, name: str, model: Engine, item_id: int, k: int) -> ScoredItems | None:
        if not self._ours(name):
            return None
        return model.similar_items(item_id, k)

    @hookimpl
    def hz45_tune(self, name: str, data: TrainingData, grid: dict[str, list[Any]] | None,
                  params: dict[str, Any], folds: int) -> dict[str, Any] | None:
        if not self._ours(name) or self.tuner is None:
            return None
        return self.tuner(data, grid, cv=folds, config=params)

    @hookimpl
    def hz45_save_model(self, name: str, model: Engine) -> bytes | None:
        return model.dumps() if self._ours(name) else None

    @hookimpl
    def hz45_load_model(self, name: str, blob: bytes) -> Engine | None:
        return self.engine_class.loads(blob) if self._ours(name) else None
