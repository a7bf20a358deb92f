"""Recommenders held in memory by the API: loading, hot-swapping and mixing per query.

Models are loaded from the active ``model_version`` rows. ``maybe_refresh`` checks for newly
activated versions at most every ``refresh_seconds`` and swaps them in without a restart.
An artifact its engine refuses to load (``TypeError``: e.g. a pickle stored by an older 4.5Hz)
leaves that engine without a model until it is retrained; it is logged once, as a warning.
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

from domain.catalog.tables import Track, TrackArtist
from domain.recommendations.model_store import ActiveVersion, active_versions, load_artifact
from domain.settings import EngineWeight, Settings
from domain.sql import chunked
from engines.base import ScoredItems, UserContext
from engines.blend import LearnedBlend
from plugins.engine_calls import recommend_items, score_items
from plugins.manager import describe, get_plugin_manager
from plugins.mixer import MixedItem, fuse, rank

log = logging.getLogger("hz45.recommenders")
POPULARITY = "popularity"
POPULAR_POOL = 1000
LEARNED = "learned"  # the learned mix's model versions are stored under this engine name


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
    learned: bool = False

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
        self.learned: LoadedModel | None = None
        self.reasons = {name: info["reason"] for name, info in self.info.items() if info.get("reason")}
        configured = settings.recommenders.fallback_engines
        self.fallback_order = list(configured) if configured is not None else sorted(
            (n for n, i in self.info.items() if i.get("fallback") is not None), key=lambda n: (self.info[n]["fallback"], n)
        )
        self._artists: dict[int, int] = {}
        self.popular = ScoredItems.empty()
        self.refresh_seconds = refresh_seconds
        self._checked_at = 0.0
        self._refused: dict[str, int] = {}  # engine -> id of its active version that was refused
        self._lock = threading.Lock()

    # -- loading -----------------------------------------------------------------------
    def refresh(self) -> list[str]:
        """Load newly active versions and the popularity fallback; returns the swapped engines."""
        with self._lock:
            self._checked_at = time.monotonic()
            swapped = []
            with Session(self.db_engine) as session:
                for name, active in active_versions(session).items():
                    loaded = self.learned if name == LEARNED else self.models.get(name)
                    if (name not in self.info and name != LEARNED) or (loaded and loaded.active.id == active.id) \
                            or self._refused.get(name) == active.id:  # refused once: not again every refresh
                        continue
                    try:
                        blob = load_artifact(session, active.id)
                        model = LearnedBlend.loads(blob) if name == LEARNED else self.manager.hook.hz45_load_model(
                            name=name, blob=blob)
                    except TypeError as refused:  # not this engine's data-only format: never run it
                        self._refuse(name, active, refused)
                        continue
                    except Exception:  # a bad artifact must not take the others down
                        log.exception("could not load %s version %s", name, active.version)
                        continue
                    if name == LEARNED:
                        self.learned = LoadedModel(active, model)
                    else:
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
                log.info("loaded models: %s", ", ".join(swapped))
            return swapped

    def _refuse(self, name: str, active: ActiveVersion, error: TypeError) -> None:
        """Serve ``name`` without a model: its active version's artifact was refused."""
        self._refused[name] = active.id
        if name == LEARNED:
            self.learned = None
        else:
            self.models.pop(name, None)
        log.warning(
            "%s: refused the artifact of active model version %s (%s); it may be a pickle stored by "
            "an older 4.5Hz. %s has no model until it is retrained: hz45 train %s",
            name, active.version, error, name, name,
        )

    def maybe_refresh(self) -> None:
        """``refresh`` when the last check is older than ``refresh_seconds``."""
        if time.monotonic() - self._checked_at >= self.refresh_seconds:
            self.refresh()

    def status(self, name: str) -> str:
        """``READY`` when an active model of ``name`` is loaded."""
        return "READY" if name in self.models else "NOT_TRAINED"

    # -- mixes -------------------------------------------------------------------------
    def resolve_mix(self, user_id: int | None, requested: list[EngineWeight] | None, name: str | None = None) -> Mix:
        """The query's mix (weights, or the name ``learned`` / ``default``), the user's experiment
        arm, or the configured default. ``learned`` before a learned mix is trained is the default."""
        config = self.settings.recommenders
        if name is not None and name not in (LEARNED, "default"):
            raise MixError(f"Unknown mix {name!r}; named mixes: default, learned")
        if name is not None and requested:
            raise MixError("Give either a mix of weights or a mix name, not both")
        if name == LEARNED and self.learned is not None:
            return Mix(LEARNED, tuple((n, 1.0) for n in self.learned.model.engines), learned=True)
        if name is not None:
            return self._default_mix()
        if requested:
            entries = tuple((e.engine, float(e.weight)) for e in requested)
            self._validate(entries)
            return Mix("custom:" + ",".join(f"{n}={w:g}" for n, w in sorted(entries)), entries)
        experiment = config.active_experiment
        if experiment and user_id is not None and experiment in config.experiments:
            arms = config.experiments[experiment]
            arm = experiment_arm(experiment, list(arms), user_id)
            return Mix(f"{experiment}:{arm}", tuple((e.engine, e.weight) for e in arms[arm]))
        return self._default_mix()

    def _default_mix(self) -> Mix:
        entries = tuple((e.engine, e.weight) for e in self.settings.recommenders.default_mix if e.engine in self.info)
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
    def recommend(
        self, context: UserContext, k: int, mix_: Mix, exclude: set[int], max_per_artist: int | None = None
    ) -> list[MixedItem]:
        """The mixed top ``k`` for the user; cold-start users still get ``k`` tracks.

        Every member's top picks form the candidates; every member scores all of them, and
        the fused (or learned) scores rank them, at most ``max_per_artist`` per artist.
        """
        excluded = np.fromiter(exclude, dtype=np.int64, count=len(exclude))
        pool = max(50, 5 * k)
        blend = self.learned.model if mix_.learned and self.learned is not None else None
        entries = [(name, 1.0) for name in blend.engines] if blend is not None else mix_.entries
        members = {name: self.models[name].model for name, weight in entries if weight > 0 and name in self.models}
        answers = {name: self._ask(name, model, context, pool, excluded) for name, model in members.items()}
        candidates = np.unique(np.concatenate([a.item_ids for a in answers.values()] or [np.empty(0, np.int64)]))
        candidates = candidates[~np.isin(candidates, excluded)]
        scores = {name: self._score(name, model, context, candidates, answers[name]) for name, model in members.items()}
        if blend is not None and len(candidates):
            total = blend.score(scores, candidates)
            contributions = blend.contributions(scores, candidates)
        else:
            total, contributions = fuse(scores, mix_.weights)
        limit = self.settings.recommenders.max_per_artist if max_per_artist is None else max_per_artist
        fallbacks = [(name, self._ask(name, self.models[name].model, context, pool + len(exclude), excluded))
                     for name in self.fallback_order if name in self.models]  # fmt: skip
        fallbacks.append((POPULARITY, self.popular))
        return rank(candidates, total, contributions, k, explanations=answers, reasons=self.reasons,
                    artist_of=self._artists_of(candidates, *(f.item_ids for _, f in fallbacks)),
                    max_per_artist=limit or None, exclude=exclude, fallbacks=fallbacks)  # fmt: skip

    def _ask(self, name, model, context, k, excluded) -> ScoredItems:
        try:
            return recommend_items(self.manager, name, model, context, k, excluded)
        except Exception:  # an engine failing on one user contributes nothing
            log.exception("engine %s failed for user %s", name, context.user_id)
            return ScoredItems.empty()

    def _score(self, name, model, context, items, answered) -> np.ndarray:
        try:
            return score_items(self.manager, name, model, context, items, answered)
        except Exception:
            log.exception("engine %s failed to score for user %s", name, context.user_id)
            return np.full(len(items), np.nan)

    def _artists_of(self, *item_arrays: np.ndarray) -> dict[int, int]:
        """First artist of each track, looked up once per track and remembered."""
        wanted = {int(i) for items in item_arrays for i in items.tolist()}
        missing = wanted - self._artists.keys()
        if missing:
            with Session(self.db_engine) as session:
                for chunk in chunked(sorted(missing), 5000):
                    rows = session.exec(
                        select(TrackArtist.track_id, TrackArtist.artist_id)
                        .where(TrackArtist.track_id.in_(chunk))
                        .order_by(TrackArtist.track_id, TrackArtist.position.desc())
                    ).all()
                    self._artists.update({track: artist for track, artist in rows})  # the lowest position wins
        return self._artists

    def similar(self, track_id: int, k: int) -> list[tuple[int, float, str]]:
        """Item-to-item: engines with a ``similar`` role first (in their order), then any other."""
        seen: dict[int, tuple[float, str]] = {}
        ranked = sorted(self.models, key=lambda n: (self.info[n].get("similar") is None, self.info[n].get("similar") or 0, n))
        for name in ranked:
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
