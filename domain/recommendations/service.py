"""Recommenders held in memory by the API: loading, hot-swapping and mixing per query.

Models are loaded from the active ``model_version`` rows into an immutable ``ModelSnapshot``.
``refresh`` builds the next snapshot (reusing models whose version did not change, dropping
engines with no active version any more) and swaps it in with one assignment; the API's
lifespan runs it every ``recommenders.refresh_seconds`` in a background task, so no request
ever loads a model and requests read the snapshot without a lock.

An active version that cannot be loaded (``TypeError``: not its engine's data-only format,
e.g. a pickle stored by an older 4.5Hz; a failed hash or signature check) is tried once, not
on every refresh; the engine keeps serving the model it had (if any) and is reported
``DEGRADED`` with the reason. So is an engine whose last serving call failed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import Session, select

from domain.catalog.tables import Track, TrackArtist
from domain.columns import utcnow
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
READY, NOT_TRAINED, DEGRADED = "READY", "NOT_TRAINED", "DEGRADED"


class MixError(ValueError):
    """A mix names an unknown engine or has a bad weight."""


@dataclass(frozen=True)
class LoadedModel:
    active: ActiveVersion
    model: Any


@dataclass(frozen=True)
class ModelSnapshot:
    """What one request is served with; never changed once published."""

    models: Mapping[str, LoadedModel] = field(default_factory=lambda: MappingProxyType({}))
    learned: LoadedModel | None = None
    popular: ScoredItems = field(default_factory=ScoredItems.empty)
    # engine -> why its active version is not loaded
    unloadable: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    taken_at: datetime | None = None


@dataclass(frozen=True)
class EngineHealth:
    """How an engine fared: its status and, once it failed, its last error."""

    status: str
    last_error: str | None = None
    last_error_at: datetime | None = None


class ServingErrors:
    """The last serving error of each engine, and whether its last call failed (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, tuple[str, datetime]] = {}
        self._failing: set[str] = set()

    def failed(self, name: str, error: BaseException) -> None:
        with self._lock:
            self._last[name] = (f"{type(error).__name__}: {error}"[:500], utcnow())
            self._failing.add(name)

    def succeeded(self, name: str) -> None:
        if name in self._failing:  # the common case reads a set and takes no lock
            with self._lock:
                self._failing.discard(name)

    def of(self, name: str) -> tuple[bool, tuple[str, datetime] | None]:
        """Whether the last call of ``name`` failed, and its last error."""
        with self._lock:
            return name in self._failing, self._last.get(name)


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


def first_artists(engine: DbEngine) -> dict[int, int]:
    """The first credited artist of every track, in one query."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(TrackArtist.track_id, TrackArtist.artist_id)
                            .order_by(TrackArtist.track_id, TrackArtist.position.desc()))
        return {track: artist for track, artist in rows}  # the lowest position wins

class RecommenderService:
    """The plugin manager, the current model snapshot and the mixing of one API process."""

    def __init__(self, settings: Settings, db_engine: DbEngine, manager=None) -> None:
        self.settings = settings
        self.db_engine = db_engine
        self.manager = manager or get_plugin_manager()
        self.info = describe(self.manager)
        self.reasons = {name: info["reason"] for name, info in self.info.items() if info.get("reason")}
        configured = settings.recommenders.fallback_engines
        self.fallback_order = list(configured) if configured is not None else sorted(
            (n for n, i in self.info.items() if i.get("fallback") is not None), key=lambda n: (self.info[n]["fallback"], n)
        )
        self._key = settings.recommenders.signing_key()
        self._artists: dict[int, int] = {}
        self._artists_read_upto = -1  # the catalog's first artists up to this track id are in _artists
        self.snapshot = ModelSnapshot()
        self.errors = ServingErrors()
        self.refresh_error: str | None = None  # why the last refresh failed, until one succeeds
        self._unloadable: dict[str, tuple[int, str]] = {}  # engine -> (version id tried once, why)
        self._refresh_lock = threading.Lock()  # one refresh at a time; readers never take it

    @property
    def models(self) -> Mapping[str, LoadedModel]:
        return self.snapshot.models

    @property
    def learned(self) -> LoadedModel | None:
        return self.snapshot.learned

    # -- loading -----------------------------------------------------------------------
    def refresh(self) -> list[str]:
        """Publish a snapshot of the active versions; returns the engines loaded or unloaded."""
        with self._refresh_lock:
            try:
                changed = self._refresh()
            except Exception as exc:
                self.refresh_error = type(exc).__name__  # the text may name the database's host: logs only
                raise
            self.refresh_error = None
            return changed

    def _refresh(self) -> list[str]:
        current = self.snapshot
        loaded = dict(current.models)
        if current.learned is not None:
            loaded[LEARNED] = current.learned
        models: dict[str, LoadedModel] = {}
        changed = []
        with Session(self.db_engine) as session:
            active = {n: a for n, a in active_versions(session).items() if n in self.info or n == LEARNED}
            for name, version in active.items():
                previous = loaded.get(name)
                if previous is not None and previous.active.id == version.id:
                    models[name] = previous
                    continue
                tried = self._unloadable.get(name)
                model = None if tried is not None and tried[0] == version.id else self._load(session, name, version)
                if model is not None:
                    models[name] = LoadedModel(version, model)
                    self._unloadable.pop(name, None)
                    changed.append(name)
                elif previous is not None:  # keep serving the model it had until one loads
                    models[name] = previous
            rows = session.exec(
                select(Track.id, Track.popularity).order_by(Track.popularity.desc(), Track.id).limit(POPULAR_POOL)
            ).all()
        unloaded = sorted(set(loaded) - set(active))
        for name in unloaded:
            self._unloadable.pop(name, None)
        self._unloadable = {n: t for n, t in self._unloadable.items() if n in active}
        learned = models.pop(LEARNED, None)
        self.snapshot = ModelSnapshot(
            models=MappingProxyType(models), learned=learned,
            popular=ScoredItems(np.array([r[0] for r in rows], dtype=np.int64),
                                np.array([r[1] for r in rows], dtype=np.float64), reason="popular on 4.5Hz"),
            unloadable=MappingProxyType({n: why for n, (_, why) in self._unloadable.items()}),
            taken_at=utcnow(),
        )
        if models and self._artists_read_upto < 0:
            self._artists.update(first_artists(self.db_engine))
            with self.db_engine.connect() as conn:
                self._artists_read_upto = conn.execute(sa.select(sa.func.max(Track.id))).scalar() or 0
        if changed:
            log.info("loaded models: %s", ", ".join(changed))
        if unloaded:
            log.info("unloaded models with no active version: %s", ", ".join(unloaded))
        return changed + unloaded

    def _load(self, session: Session, name: str, version: ActiveVersion) -> Any | None:
        """The model of ``version``, or None (remembered, and logged once) when it cannot be loaded."""
        try:
            blob = load_artifact(session, version.id, self._key)
            return LearnedBlend.loads(blob) if name == LEARNED else self.manager.hook.hz45_load_model(
                name=name, blob=blob)
        except TypeError as refused:  # not this engine's data-only format: never run it
            why = f"the artifact of active version {version.version} was refused ({refused})"
            log.warning(
                "%s: refused the artifact of active model version %s (%s); it may be a pickle stored by "
                "an older 4.5Hz. %s has no model until it is retrained: hz45 train %s",
                name, version.version, refused, name, name,
            )
        except Exception as exc:  # a bad artifact must not take the others down
            why = f"active version {version.version} could not be loaded ({type(exc).__name__}: {exc})"
            log.warning("%s: %s. It has no model until it is retrained: hz45 train %s", name, why, name)
        self._unloadable[name] = (version.id, why[:500])
        return None

    def health(self, name: str) -> EngineHealth:
        """``READY`` (its active model is loaded and its last call worked), ``DEGRADED`` (the
        active version cannot be loaded, or the last serving call failed) or ``NOT_TRAINED``."""
        snapshot = self.snapshot
        failing, last = self.errors.of(name)
        if name in snapshot.unloadable:
            return EngineHealth(DEGRADED, snapshot.unloadable[name], snapshot.taken_at)
        if name not in snapshot.models:
            return EngineHealth(NOT_TRAINED)
        if last is None:
            return EngineHealth(READY)
        return EngineHealth(DEGRADED if failing else READY, *last)

    def status(self, name: str) -> str:
        return self.health(name).status

    # -- mixes -------------------------------------------------------------------------
    def resolve_mix(self, user_id: int | None, requested: list[EngineWeight] | None, name: str | None = None) -> Mix:
        """The query's mix (weights, or the name ``learned`` / ``default``), the user's experiment
        arm, or the configured default. ``learned`` before a learned mix is trained is the default."""
        config = self.settings.recommenders
        if name is not None and name not in (LEARNED, "default"):
            raise MixError(f"Unknown mix {name!r}; named mixes: default, learned")
        if name is not None and requested:
            raise MixError("Give either a mix of weights or a mix name, not both")
        learned = self.snapshot.learned
        if name == LEARNED and learned is not None:
            return Mix(LEARNED, tuple((n, 1.0) for n in learned.model.engines), learned=True)
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
        snapshot = self.snapshot  # one snapshot for the whole answer, whatever a refresh publishes meanwhile
        excluded = np.fromiter(exclude, dtype=np.int64, count=len(exclude))
        pool = max(50, 5 * k)
        blend = snapshot.learned.model if mix_.learned and snapshot.learned is not None else None
        entries = [(name, 1.0) for name in blend.engines] if blend is not None else mix_.entries
        models = snapshot.models
        members = {name: models[name].model for name, weight in entries if weight > 0 and name in models}
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
        fallbacks = [(name, self._ask(name, models[name].model, context, pool + len(exclude), excluded))
                     for name in self.fallback_order if name in models]  # fmt: skip
        fallbacks.append((POPULARITY, snapshot.popular))
        return rank(candidates, total, contributions, k, explanations=answers, reasons=self.reasons,
                    artist_of=self._artists_of(candidates, *(f.item_ids for _, f in fallbacks)),
                    max_per_artist=limit or None, exclude=exclude, fallbacks=fallbacks)  # fmt: skip

    def _ask(self, name, model, context, k, excluded) -> ScoredItems:
        try:
            answer = recommend_items(self.manager, name, model, context, k, excluded)
        except Exception as exc:  # an engine failing on one user contributes nothing
            log.exception("engine %s failed for user %s", name, context.user_id)
            self.errors.failed(name, exc)
            return ScoredItems.empty()
        self.errors.succeeded(name)
        return answer

    def _score(self, name, model, context, items, answered) -> np.ndarray:
        try:
            return score_items(self.manager, name, model, context, items, answered)
        except Exception as exc:
            log.exception("engine %s failed to score for user %s", name, context.user_id)
            self.errors.failed(name, exc)
            return np.full(len(items), np.nan)

    def _artists_of(self, *item_arrays: np.ndarray) -> dict[int, int]:
        """First artist of each track: the whole catalog's, read when the first models load (off
        the request path; at the deck scale a cold process spent 13% of its answers here), and
        tracks added since, looked up once each and remembered."""
        ids = (np.concatenate([np.asarray(items, dtype=np.int64) for items in item_arrays]) if item_arrays
               else np.empty(0, dtype=np.int64))
        # only tracks added after the catalog was read can be missing
        missing = set(ids[ids > self._artists_read_upto].tolist()) - self._artists.keys()
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
        models = self.snapshot.models
        ranked = sorted(models, key=lambda n: (self.info[n].get("similar") is None, self.info[n].get("similar") or 0, n))
        for name in ranked:
            if len(seen) >= k:
                break
            scored = self.similar_items(name, models[name].model, track_id, k)
            if scored is None:
                continue
            for item, score in zip(scored.item_ids.tolist(), scored.scores.tolist(), strict=True):
                if item != track_id and item not in seen and len(seen) < k:
                    seen[item] = (float(score), name)
        return [(item, score, engine) for item, (score, engine) in seen.items()]

    def similar_items(self, name: str, model: Any, track_id: int, k: int) -> ScoredItems | None:
        """One engine's ``k`` tracks most similar to ``track_id``; None when it has none or fails."""
        try:
            return self.manager.hook.hz45_similar_items(name=name, model=model, item_id=track_id, k=k)
        except Exception as exc:  # the other engines still answer
            log.exception("engine %s failed to find tracks similar to %s", name, track_id)
            self.errors.failed(name, exc)
            return None

    def trained_at(self, name: str) -> datetime | None:
        loaded = self.snapshot.models.get(name)
        return loaded.active.trained_at if loaded else None
