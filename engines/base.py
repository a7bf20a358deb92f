"""The contract every recommendation engine implements.

Engines are pure: pandas/numpy in, ``(item_ids, scores)`` arrays out. They know nothing of the
database, GraphQL or pluggy. A subclass writes ``fit`` and ``score`` (and ``similar_items``
where it makes sense); the base class owns top-N selection, exclusion of known items,
unknown ids and the rules of serialisation: every engine writes its own data-only artifact
format (see :mod:`engines.artifacts`), since loading a pickle would run whatever code it names.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

RATINGS_COLUMNS = ("user_id", "item_id", "rating", "timestamp")
PLAYS_COLUMNS = ("user_id", "item_id", "timestamp")
USERS_COLUMNS = ("user_id", "age_group", "gender")


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64") for c in columns})


@dataclass
class TrainingData:
    """A snapshot an engine trains on.

    - ``ratings``: explicit ratings, columns ``user_id, item_id, rating (0-5), timestamp``
      (timestamp in epoch seconds).
    - ``plays``: implicit events, columns ``user_id, item_id, timestamp``.
    - ``users``: demographics, columns ``user_id, age_group (10, 20, ...), gender``
      (``"FEMALE"``, ``"MALE"``, ``"OTHER"`` or ``None``).
    - ``items``: one row per item, column ``item_id`` plus whatever features an engine
      needs (audio features, ``genre``, ``popularity``).
    """

    ratings: pd.DataFrame = field(default_factory=lambda: _empty(RATINGS_COLUMNS))
    plays: pd.DataFrame = field(default_factory=lambda: _empty(PLAYS_COLUMNS))
    users: pd.DataFrame = field(default_factory=lambda: _empty(USERS_COLUMNS))
    items: pd.DataFrame = field(default_factory=lambda: _empty(("item_id",)))


@dataclass(frozen=True)
class UserContext:
    """What is known about the user at query time (the plugin layer fills it from the DB).

    ``recent_item_ids`` are the user's most played tracks of the recent window, most played
    first; ``seed_item_ids`` are explicit seeds from the query. ``history_item_ids`` and
    ``history_weights`` are everything the user played or rated so far with its confidence
    (:func:`engines.feedback.confidence`), read at query time: engines that score from history
    use it, so a new play changes recommendations without retraining.
    """

    user_id: int | None = None
    age_group: int | None = None
    gender: str | None = None
    recent_item_ids: tuple[int, ...] = ()
    seed_item_ids: tuple[int, ...] = ()
    history_item_ids: tuple[int, ...] = ()
    history_weights: tuple[float, ...] = ()


@dataclass
class ScoredItems:
    """Candidates from one engine, best first.

    ``because`` holds, per item, the seed item that led to it (or -1); ``reason`` is a
    general explanation for the whole list (e.g. ``"popular with women in their 20s"``).
    """

    item_ids: np.ndarray
    scores: np.ndarray
    because: np.ndarray | None = None
    reason: str | None = None

    def __len__(self) -> int:
        return len(self.item_ids)

    @classmethod
    def empty(cls) -> ScoredItems:
        return cls(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))


@dataclass
class EngineConfig:
    """Base of every engine's typed hyper-parameters; round-trips through JSON dicts."""

    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> Self:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values or {}) - names
        if unknown:
            raise ValueError(f"unknown parameters for {cls.__name__}: {sorted(unknown)}")
        return cls(**(values or {}))


class NotFittedError(RuntimeError):
    """Raised when an engine is asked to score before ``fit``."""


class Engine(ABC):
    """Base class: subclasses set ``name`` and ``config_class`` and implement ``fit``/``score``."""

    name: ClassVar[str]
    config_class: ClassVar[type[EngineConfig]] = EngineConfig

    def __init__(self, config: EngineConfig | dict[str, Any] | None = None) -> None:
        if not isinstance(config, EngineConfig):
            config = self.config_class.from_dict(config)
        self.config = config
        self.fitted = False
        self.metrics: dict[str, float] = {}

    # -- to implement -------------------------------------------------------------------
    @abstractmethod
    def fit(self, data: TrainingData) -> Self:
        """Learn from ``data``; returns self."""

    @abstractmethod
    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        """Scores (higher is better) for ``item_ids``; NaN where the engine cannot tell."""

    def candidates(self, context: UserContext) -> np.ndarray:
        """Item ids this engine may recommend to the user (default: every known item)."""
        return self.known_items()

    def known_items(self) -> np.ndarray:
        """Every item id the fitted model knows."""
        return np.empty(0, dtype=np.int64)

    def similar_items(self, item_id: int, k: int) -> ScoredItems:
        """The ``k`` items most similar to ``item_id`` (empty if unsupported or unknown)."""
        return ScoredItems.empty()

    def item_annotations(self) -> pd.DataFrame | None:
        """Per-item values to store with the catalog once this model is active (default: none)."""
        return None

    def explain(
        self, context: UserContext, item_ids: np.ndarray
    ) -> tuple[np.ndarray | None, str | None]:
        """``(because, reason)`` for items this engine recommends (see :class:`ScoredItems`)."""
        return None, None

    # -- provided -------------------------------------------------------------------
    def recommend(
        self,
        context: UserContext,
        k: int,
        exclude: np.ndarray | None = None,
    ) -> ScoredItems:
        """Top ``k`` items for the user, best first, without ``exclude`` and unscorable items."""
        self._check_fitted()
        items = np.asarray(self.candidates(context), dtype=np.int64)
        if exclude is not None and len(exclude):
            items = items[~np.isin(items, exclude)]
        if k <= 0 or not len(items):
            return ScoredItems.empty()
        scores = np.asarray(self.score(context, items), dtype=np.float64)
        keep = ~np.isnan(scores)
        items, scores = items[keep], scores[keep]
        top = top_k_indices(scores, k)
        because, reason = self.explain(context, items[top])
        return ScoredItems(items[top], scores[top], because, reason)

    def _check_fitted(self) -> None:
        if not self.fitted:
            raise NotFittedError(f"{self.name} is not fitted")

    def dumps(self) -> bytes:
        """Serialise the fitted engine to a data-only artifact (bytes any machine can load).

        There is no default: each engine defines its format, e.g. with
        :func:`engines.artifacts.pack` (never a pickle, whose loading runs code).
        """
        raise NotImplementedError(f"engine {self.name!r} defines no artifact format (dumps/loads)")

    @classmethod
    def loads(cls, blob: bytes) -> Self:
        """Inverse of :meth:`dumps`; ``TypeError`` for anything but this engine's artifact."""
        raise NotImplementedError(f"engine {cls.name!r} defines no artifact format (dumps/loads)")


def positions(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Index of each of ``ids`` in the sorted array ``sorted_ids``; -1 where absent."""
    ids = np.asarray(ids, dtype=np.int64)
    if not len(sorted_ids):
        return np.full(len(ids), -1, dtype=np.int64)
    found = np.searchsorted(sorted_ids, ids).clip(max=len(sorted_ids) - 1)
    return np.where(sorted_ids[found] == ids, found, -1)


def top_k_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores, best first (stable for ties)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if k < len(scores):
        part = np.argpartition(-scores, k - 1)[:k]
    else:
        part = np.arange(len(scores))
    order = np.lexsort((part, -scores[part]))
    return part[order]


def standardise(scores: np.ndarray) -> np.ndarray:
    """z-scores over the finite entries; a NaN entry gets the lowest of them (all NaN: NaN).

    Makes engines comparable over one candidate set: scale and offset of an engine's scores
    do not matter, and "cannot tell" ranks with the engine's least liked candidate.
    """
    scores = np.asarray(scores, dtype=np.float64)
    finite = np.isfinite(scores)
    if not finite.any():
        return np.full(len(scores), np.nan)
    values = scores[finite]
    spread = values.std()
    z = (scores - values.mean()) / spread if spread > 1e-12 else np.zeros(len(scores))
    return np.where(finite, z, z[finite].min())
