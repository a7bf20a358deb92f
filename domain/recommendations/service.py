"""Recommenders held in memory by the API: loading, hot-swapping and mixing per query.

Models are loaded from the active ``model_version`` rows. ``maybe_refresh`` checks for newly
activated versions at most every ``refresh_seconds`` and swaps them in without a restart.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import Session, select

from domain.catalog.tables import Track
from domain.recommendations.model_store import ActiveVersion, active_versions, load_artifact
from domain.settings import EngineWeight, Settings
from engines.base import ScoredItems, UserContext
from plugins.manager import describe, get_plugin_manager
from plugins.mixer import MixedItem, mix

log = logging.getLogger("hz45.recommenders")
POPULARITY = "popularity"
POPULAR_POOL = 1000


class MixError(ValueError):
    """A mix names an unknown engine or has a bad weight."""


@dataclass
class LoadedModel:
    active: ActiveVersion
    model: Any


@dataclass(frozen=True)
class Mix:
    """What a query is served with: an id (recorded in play sources) and weights."""

    mix_id: str
    entries: tuple[tuple[str, float], ...]

    @property
    def weights(self) -> dict[str, float]:
        return dict(self.entries)


def experiment_arm(experiment: str, arms: list[str], user_id: int) -> str:
    """A stable arm for the user: the same user always lands in the same arm."""
    digest = hashlib.sha256(f"{experiment}:{user_id}".encode()).digest()
    return sorted(arms)[int.from_bytes(digest[:8], "big") % len(arms)]


class RecommenderService:
    """The plugin manager, the loaded models and the mixing of one API process."""

    def __init__(self, settings: Settings, db_engine: DbEngine, manager=None, refresh_seconds: float = 10.0) -> None:
        self.settings = settings
        self.db_engine = db_engine
        self.manager = manager or get_plugin_manager()
        self.info = describe(self.manager)
        self.models: dict[str, LoadedModel] = {}
        self.popular = ScoredItems.empty()
        self.refresh_seconds = refresh_seconds
        self._checked_at = 0.0
        self._lock = threading.Lock()

    # -- loading -----------------------------------------------------------------------
    def refresh(self) -> list[str]:
        """Load newly active versions and the popularity fallback; returns the swapped engines."""
        with self._lock:
            self._checked_at = time.monotonic()
            swapped = []
            with Session(self.db_engine) as session:
                for name, active in active_versions(session).items():
                    loaded = self.models.get(name)
                    if name not in self.info or (loaded and loaded.active.id == active.id):
                        continue
                    try:
                        model = self.manager.hook.hz45_load_model(name=name, blob=load_artifact(session, active.id))
                    except Exception:  # a bad artifact must not take the others down
                        log.exception("could not load %s version %s", name, active.version)
                        continue
                    self.models[name] = LoadedModel(active, model)
                    swapped.append(name)
                rows = session.exec(
                    select(Track.id, Track.popularity).order_by(Track.popularity.desc(), Track.id).limit(POPULAR_POOL)
                ).all()
            self.popular = ScoredItems(
                np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=np.float64),
                reason="popular on 4.5Hz",
            )
            if swapped:
                log.info("loaded models: %s", ", ".join(f"{n} v{self.models[n].active.version}" for n in swapped))
            return swapped

    def maybe_refresh(self) -> None:
        """``refresh`` when the last check is older than ``refresh_seconds``."""
        if time.monotonic() - self._checked_at >= self.refresh_seconds:
            self.refresh()

    def status(self, name: str) -> str:
        return "READY" if name in self.models else "NOT_TRAINED"

    # -- mixes -------------------------------------------------------------------------
    def resolve_mix(self, user_id: int | None, requested: list[EngineWeight] | None) -> Mix:
        """The query's mix, the user's experiment arm, or the configured default."""
        config = self.settings.recommenders
        if requested:
            entries = tuple((e.engine, float(e.weight)) for e in requested)
            self._validate(entries)
            return Mix("custom:" + ",".join(f"{n}={w:g}" for n, w in sorted(entries)), entries)
        experiment = config.active_experiment
        if experiment and user_id is not None and experiment in config.experiments:
            arms = config.experiments[experiment]
            arm = experiment_arm(experiment, list(arms), user_id)
            return Mix(f"{experiment}:{arm}", tuple((e.engine, e.weight) for e in arms[arm]))
        entries = tuple((e.engine, e.weight) for e in config.default_mix if e.engine in self.info)
        return Mix("default", entries)

    def _validate(self, entries) -> None:
        installed = sorted(self.info)
        for name, weight in entries:
            if name not in self.info:
                raise MixError(f"Unknown engine {name!r}; installed engines: {', '.join(installed)}")
            if not np.isfinite(weight) or weight < 0:
                raise MixError(f"Weight of {name!r} must be a non-negative number, got {weight}")
        if len({n for n, _ in entries}) != len(entries):
            raise MixError("Each engine may appear only once in a mix")
        if not any(w > 0 for _, w in entries):
            raise MixError("At least one weight must be positive")

    # -- serving -----------------------------------------------------------------------
    def recommend(self, context: UserContext, k: int, mix_: Mix, exclude: set[int]) -> list[MixedItem]:
        """The mixed top ``k`` for the user; cold-start users still get ``k`` tracks."""
        excluded = np.fromiter(exclude, dtype=np.int64, count=len(exclude))
        pool = max(50, 5 * k)
        candidates = {}
        for name, weight in mix_.entries:
            loaded = self.models.get(name)
            if weight <= 0 or loaded is None:
                continue
            candidates[name] = self._ask(name, loaded.model, context, pool, excluded)
        fallbacks = []
        demographic = self.models.get("demographic_popular")
        if demographic is not None:
            fallbacks.append(("demographic_popular",
                              self._ask("demographic_popular", demographic.model, context, pool + len(exclude), excluded)))
        fallbacks.append((POPULARITY, self.popular))
        return mix(candidates, mix_.weights, k, exclude, fallbacks)

    def _ask(self, name, model, context, k, excluded) -> ScoredItems:
        try:
            result = self.manager.hook.hz45_recommend(name=name, model=model, context=context, k=k, exclude=excluded)
        except Exception:  # an engine failing on one user contributes nothing
            log.exception("engine %s failed for user %s", name, context.user_id)
            return ScoredItems.empty()
        return result if result is not None else ScoredItems.empty()

    def similar(self, track_id: int, k: int) -> list[tuple[int, float, str]]:
        """Item-to-item: the content engine first, filled by any other engine that answers."""
        seen: dict[int, tuple[float, str]] = {}
        for name in sorted(self.models, key=lambda n: n != "content_gmm"):
            if len(seen) >= k:
                break
            scored = self.manager.hook.hz45_similar_items(name=name, model=self.models[name].model, item_id=track_id, k=k)
            if scored is None:
                continue
            for item, score in zip(scored.item_ids.tolist(), scored.scores.tolist(), strict=True):
                if item != track_id and item not in seen and len(seen) < k:
                    seen[item] = (float(score), name)
        return [(item, score, engine) for item, (score, engine) in seen.items()]

    def trained_at(self, name: str) -> datetime | None:
        loaded = self.models.get(name)
        return loaded.active.trained_at if loaded else None
