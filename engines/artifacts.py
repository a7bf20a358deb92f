"""Data-only model artifacts, and the base of the engines that score a listener's feedback row.

An artifact is an ``np.savez`` archive: named arrays plus one ``uint8`` entry holding JSON
(``format`` version, ``kind`` and free-form ``meta``). It is read back with
``np.load(..., allow_pickle=False)``, so loading never runs code: a pickle, a tampered archive
or another engine's artifact is refused with ``TypeError``. Sparse matrices travel as their
CSR arrays. Every engine stores itself this way (``Engine`` has no default format): the
feedback engines below, and ``svd``, ``content_gmm`` and ``demographic_popular`` with
:func:`pack`, :func:`unpack` and :func:`unfitted_from`.

:class:`FeedbackEngine` is the shared part of ``als``, ``item_knn`` and ``ease``: they learn
from an :class:`~engines.feedback.InteractionMatrix`, score the user's row at query time
(their current history when the query carries it, so new plays count without retraining) and
are stored as such artifacts.
"""

from __future__ import annotations

import io
import json
import zipfile
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any, Self, TypeVar

import numpy as np
import pandas as pd
from scipy import sparse

from engines.base import Engine, EngineConfig, TrainingData, UserContext
from engines.feedback import InteractionMatrix

FORMAT = 1
HEADER = "__header__"
E = TypeVar("E", bound=Engine)


def pack(kind: str, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    """An artifact of ``kind`` holding ``meta`` (JSON-able) and ``arrays`` (no object dtypes)."""
    if HEADER in arrays:
        raise ValueError(f"{HEADER!r} is reserved for the artifact header")
    values = {name: np.asarray(array) for name, array in arrays.items()}
    for name, array in values.items():
        if array.dtype.hasobject:
            raise TypeError(f"array {name!r} holds Python objects; artifacts hold data only")
    header = json.dumps({"format": FORMAT, "kind": kind, "meta": meta}).encode()
    buffer = io.BytesIO()
    np.savez(buffer, **{HEADER: np.frombuffer(header, dtype=np.uint8)}, **values)
    return buffer.getvalue()


def unpack(blob: bytes, kind: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(meta, arrays)`` of an artifact of ``kind``; ``TypeError`` for anything else."""
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
            header = json.loads(archive[HEADER].tobytes().decode())
            arrays = {name: archive[name] for name in archive.files if name != HEADER}
    except (ValueError, OSError, KeyError, EOFError, AttributeError, TypeError, zipfile.BadZipFile) as error:
        # np.load refuses pickles (ValueError); a .npy or foreign .npz lacks the header.
        raise TypeError(f"not a 4.5Hz {kind} artifact ({type(error).__name__}: {error})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise TypeError(f"not a 4.5Hz {kind} artifact (unknown format {header!r:.80})")
    if header.get("kind") != kind:
        raise TypeError(f"artifact holds {header.get('kind')!r}, not {kind!r}")
    meta = header.get("meta") or {}
    if not isinstance(meta, dict):
        raise TypeError(f"not a 4.5Hz {kind} artifact (its meta is not a mapping)")
    return meta, arrays


def unfitted_from(engine_class: type[E], meta: dict[str, Any]) -> E:
    """An ``engine_class`` with the config and metrics of an artifact's ``meta`` (the caller
    restores the fitted state); ``TypeError`` where they are not this engine's."""
    try:
        engine = engine_class(meta.get("config"))
        engine.metrics = dict(meta.get("metrics") or {})
    except (TypeError, ValueError) as error:
        raise TypeError(f"not a usable {engine_class.name} artifact ({error})") from None
    return engine


def pack_engine(engine: Engine, arrays: dict[str, np.ndarray], **meta: Any) -> bytes:
    """An artifact of a fitted ``engine``: its config, metrics, ``meta`` and ``arrays``."""
    return pack(engine.name, {"config": engine.config.to_dict(), "metrics": engine.metrics, **meta}, arrays)


def unpack_engine(engine_class: type[E], blob: bytes) -> tuple[E, dict[str, Any], dict[str, np.ndarray]]:
    """``(unfitted engine, meta, arrays)`` of an artifact of ``engine_class`` (see :func:`pack_engine`)."""
    meta, arrays = unpack(blob, engine_class.name)
    return unfitted_from(engine_class, meta), meta, arrays


def pack_csr(prefix: str, matrix: sparse.spmatrix | sparse.sparray) -> dict[str, np.ndarray]:
    """The arrays of a CSR matrix under ``<prefix>_data``, ``_indices``, ``_indptr``, ``_shape``."""
    matrix = sparse.csr_matrix(matrix)
    return {
        f"{prefix}_data": matrix.data, f"{prefix}_indices": matrix.indices,
        f"{prefix}_indptr": matrix.indptr, f"{prefix}_shape": np.asarray(matrix.shape, dtype=np.int64),
    }  # fmt: skip


def unpack_csr(arrays: dict[str, np.ndarray], prefix: str) -> sparse.csr_matrix:
    """Inverse of :func:`pack_csr`."""
    shape = tuple(int(n) for n in arrays[f"{prefix}_shape"])
    parts = (arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"])
    return sparse.csr_matrix(parts, shape=shape)


@dataclass
class FeedbackConfig(EngineConfig):
    """Options every feedback engine has: ``half_life_days`` halves a play's weight with age."""

    half_life_days: float | None = None


class FeedbackEngine(Engine):
    """Base of the engines that score the user's feedback row (see the module docstring).

    A subclass implements ``_fit`` (learn from the interactions), ``_score_row`` (scores of the
    given columns for one user row), ``_model_arrays``/``_restore`` (its fitted arrays), and
    ``similar_items``; ``_contributions`` where a score is a sum over the row's items (then
    :meth:`explain` names the played item behind each recommendation). It may narrow the items
    it knows by returning a smaller :class:`InteractionMatrix` from ``_fit``.
    """

    config: FeedbackConfig

    @abstractmethod
    def _fit(self, feedback: InteractionMatrix) -> InteractionMatrix:
        """Learn from ``feedback``; returns the interactions kept for user rows."""

    @abstractmethod
    def _score_row(self, row: sparse.csr_matrix, columns: np.ndarray) -> np.ndarray:
        """Scores of item ``columns`` for a non-empty user ``row`` of confidences."""

    @abstractmethod
    def _model_arrays(self) -> dict[str, np.ndarray]:
        """The fitted arrays that :meth:`_restore` needs."""

    @abstractmethod
    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        """Set the fitted state from :meth:`_model_arrays` output."""

    def fit(self, data: TrainingData) -> Self:
        """Build the confidence matrix from plays and ratings and learn from it."""
        feedback = InteractionMatrix.build(data, half_life_days=self.config.half_life_days)
        self._feedback = self._fit(feedback)
        matrix = self._feedback.matrix
        self.metrics = {"users": float(matrix.shape[0]), "items": float(matrix.shape[1]),
                        "interactions": float(matrix.nnz)}  # fmt: skip
        self.fitted = True
        return self

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        """Scores from the user's current row; NaN for unknown items and for an empty row."""
        self._check_fitted()
        columns = self._columns(item_ids)
        scores = np.full(len(columns), np.nan)
        row = self._feedback.user_row(context)
        known = columns >= 0
        if row.nnz and known.any():
            scores[known] = self._score_row(row, columns[known])
        return scores

    def _contributions(self, row: sparse.csr_matrix, columns: np.ndarray) -> np.ndarray | None:
        """Each row item's part (rows) of each column's score; None where scores do not split."""
        return None

    def explain(self, context: UserContext, item_ids: np.ndarray) -> tuple[np.ndarray | None, str | None]:
        """``because``: the played item adding most to each item's score (-1 where none does)."""
        row = self._feedback.user_row(context)
        columns = self._columns(item_ids)
        known = columns >= 0
        parts = self._contributions(row, columns[known]) if row.nnz and known.any() else None
        if parts is None:
            return None, None
        because = np.full(len(columns), -1, dtype=np.int64)
        seeds = self.known_items()[row.indices[parts.argmax(axis=0)]]
        because[known] = np.where(parts.max(axis=0) > 0, seeds, -1)
        return because, None

    def known_items(self) -> np.ndarray:
        """Every item the model can score."""
        self._check_fitted()
        return self._feedback.items.to_numpy(dtype=np.int64)

    def candidates(self, context: UserContext) -> np.ndarray:
        """Known items the user has not played or rated yet (as of the query's history)."""
        mask = np.ones(len(self._feedback.items), dtype=bool)
        mask[self._feedback.user_row(context).indices] = False
        return self.known_items()[mask]

    def _columns(self, item_ids: np.ndarray) -> np.ndarray:
        """Column of each item id; -1 where unknown."""
        return self._feedback.items.get_indexer(np.asarray(item_ids, dtype=np.int64))

    def dumps(self) -> bytes:
        """Config, metrics, the interactions and the fitted arrays, as a data-only artifact."""
        self._check_fitted()
        feedback = self._feedback
        arrays = {"users": feedback.users.to_numpy(dtype=np.int64), "items": self.known_items(),
                  **pack_csr("feedback", feedback.matrix), **self._model_arrays()}  # fmt: skip
        return pack_engine(self, arrays)

    @classmethod
    def loads(cls, blob: bytes) -> Self:
        """Inverse of :meth:`dumps`; ``TypeError`` for anything but this engine's artifact."""
        engine, _, arrays = unpack_engine(cls, blob)
        try:
            engine._feedback = InteractionMatrix(
                pd.Index(arrays["users"]), pd.Index(arrays["items"]), unpack_csr(arrays, "feedback")
            )
            engine._restore(arrays)
        except KeyError as missing:
            raise TypeError(f"incomplete {cls.name} artifact: no {missing}") from None
        engine.fitted = True
        return engine
