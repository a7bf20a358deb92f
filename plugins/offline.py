"""Engines and mixes as offline evaluation sees them: through the recommender hooks only.

Any installed recommender — built-in or third-party — is trained with ``hz45_train`` and ranks
candidates with ``hz45_score`` (or its ``hz45_recommend`` answers), and a mix combines them
with the serving mixer's :func:`plugins.mixer.fuse`, so offline and online mixes agree.
Fitted members are shared through a :class:`FitCache`: in one evaluation run every engine is
trained once per training set, however many mixes it belongs to.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from collections.abc import Callable
from typing import Any

import numpy as np
import pluggy

from engines.base import TrainingData, UserContext
from engines.blend import LearnedBlend
from plugins.engine_calls import score_items
from plugins.learned import LearnedMixSettings, fit_learned_mix
from plugins.manager import describe
from plugins.mixer import fuse

log = logging.getLogger("hz45.plugins.offline")
Params = Callable[[str], dict[str, Any]]


class FitCache:
    """Fitted models by (engine, parameters, training set): each is trained once per run."""

    def __init__(self, manager: pluggy.PluginManager, params: Params) -> None:
        self.manager, self.configured = manager, params
        self.seed: int | None = None
        self.info = describe(manager)
        self._models: dict[tuple[str, str, int], tuple[TrainingData, Any]] = {}

    def params(self, name: str) -> dict[str, Any]:
        """Configured parameters, with the run's seed for engines that take one."""
        params = dict(self.configured(name))
        if self.seed is not None and self.info.get(name, {}).get("seeded"):
            params["seed"] = self.seed
        return params

    def train(self, name: str, data: TrainingData) -> Any:
        """The model of ``name`` fitted on ``data`` (trained on first use)."""
        params = self.params(name)
        key = (name, json.dumps(params, sort_keys=True, default=str), id(data))
        if key not in self._models:  # the data is kept with the model, so its id is not reused
            started = time.perf_counter()
            model = self.manager.hook.hz45_train(name=name, data=data, params=params)
            if model is None:
                raise ValueError(f"no installed recommender trains {name!r}")
            log.info("%s trained in %.1fs", name, time.perf_counter() - started)
            self._models[key] = (data, model)
        return self._models[key][1]


class EngineScorer:
    """One recommender: ``fit`` trains it (through the cache), ``score`` asks its hooks."""

    def __init__(self, cache: FitCache, name: str) -> None:
        self.cache, self.name = cache, name
        self.model: Any = None

    def fit(self, data: TrainingData) -> EngineScorer:
        self.model = self.cache.train(self.name, data)
        return self

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        return score_items(self.cache.manager, self.name, self.model, context, item_ids)


class MixScorer:
    """A weighted mix; members that cannot be trained on the data are left out (as serving
    leaves out engines without an active model)."""

    def __init__(self, cache: FitCache, weights: list[tuple[str, float]]) -> None:
        if not weights:
            raise ValueError("a mix needs at least one engine")
        self.cache, self.weights = cache, dict(weights)
        self.members: dict[str, EngineScorer] = {}

    def fit(self, data: TrainingData) -> MixScorer:
        self.members = {}
        for name, weight in self.weights.items():
            if weight <= 0:
                continue
            try:
                self.members[name] = EngineScorer(self.cache, name).fit(data)
            except Exception as exc:
                log.warning("mix: %s left out (%s: %s)", name, type(exc).__name__, exc)
        if not self.members:
            raise ValueError("no engine of the mix could be trained")
        return self

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        scores = {name: member.score(context, item_ids) for name, member in self.members.items()}
        return fuse(scores, self.weights)[0]


class LearnedMixScorer:
    """The learned mix: the blend is fitted on a held-out slice of the training data, then
    applied to members trained on all of it (as the retrain job does)."""

    def __init__(self, cache: FitCache, names: list[str], settings: LearnedMixSettings | None = None,
                 prior: dict[str, float] | None = None) -> None:
        self.cache, self.names, self.settings = cache, list(names), settings or LearnedMixSettings()
        self.prior = prior
        self.blend: LearnedBlend | None = None
        self.members: dict[str, EngineScorer] = {}

    def fit(self, data: TrainingData) -> LearnedMixScorer:
        settings = replace(self.settings, seed=self.cache.seed) if self.cache.seed is not None else self.settings
        self.blend = fit_learned_mix(self.cache.manager, self.names, data, self.cache.train, settings, self.prior)
        self.members = {name: EngineScorer(self.cache, name).fit(data) for name in self.blend.engines}
        return self

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        scores = {name: member.score(context, item_ids) for name, member in self.members.items()}
        return self.blend.score(scores, np.asarray(item_ids, dtype=np.int64))
