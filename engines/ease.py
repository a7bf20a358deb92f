"""EASE (Steck 2019): a closed-form item-item model over the most played items.

``B = I - P / diag(P)`` with ``P = (XᵀX + λI)⁻¹`` minimises ``‖X - XB‖² + λ‖B‖²`` with a zero
diagonal; a user's scores are their row times ``B``. ``P`` is dense, so the model keeps only the
``max_items`` items with the most listeners (8,000 × 8,000 float32 is 256 MB); other items are
unknown to it, and the mixer's other engines serve them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, sparse
from threadpoolctl import threadpool_limits

from engines.artifacts import FeedbackConfig, FeedbackEngine
from engines.base import ScoredItems, top_k_indices
from engines.feedback import InteractionMatrix


@dataclass
class EASEConfig(FeedbackConfig):
    """Hyper-parameters of :class:`EASEEngine`.

    ``l2`` is λ; ``binary`` learns from and scores "played or rated" (1) instead of confidences.
    ``threads`` caps the BLAS threads of the inversion (0: BLAS's default).

    λ = 500 is Steck's value for ML-20M and sat on the plateau (200–1000) of validation splits
    carved out of the ML-1M and ML-100K training data; binary input did as well as or better
    than confidences there.
    """

    l2: float = 500.0
    max_items: int = 8000
    binary: bool = True
    threads: int = 0


def bounded(feedback: InteractionMatrix, max_items: int) -> InteractionMatrix:
    """``feedback`` restricted to the ``max_items`` items with the most users (id order kept)."""
    if feedback.matrix.shape[1] <= max_items:
        return feedback
    listeners = np.diff(feedback.matrix.tocsc().indptr)
    keep = np.sort(np.argsort(-listeners, kind="stable")[:max_items])
    return InteractionMatrix(feedback.users, feedback.items[keep], feedback.matrix[:, keep].tocsr())


def mirror_lower(square: np.ndarray, block: int = 1024) -> None:
    """Copy the lower triangle onto the upper one in place (LAPACK fills one triangle only),
    in row blocks so that no full-size temporary is made."""
    n = len(square)
    for start in range(0, n, block):
        end = min(start + block, n)
        diagonal = square[start:end, start:end]
        diagonal[:] = np.tril(diagonal) + np.tril(diagonal, -1).T
        square[start:end, end:] = square[end:, start:end].T


def gram_matrix(x: sparse.csr_matrix, block: int = 1024) -> np.ndarray:
    """Dense float32 ``XᵀX``, built in column blocks: the sparse product of a popular item set
    is nearly dense and would take twice the memory of the result."""
    columns = x.tocsc()
    n = x.shape[1]
    gram = np.empty((n, n), dtype=np.float32)
    for start in range(0, n, block):
        end = min(start + block, n)
        gram[:, start:end] = (columns.T @ columns[:, start:end]).toarray()
    return gram


def ease_weights(x: sparse.csr_matrix, l2: float) -> np.ndarray:
    """Steck's closed form ``B`` for the users × items matrix ``x``, as float32."""
    gram = gram_matrix(x)
    gram[np.diag_indices_from(gram)] += l2
    # Cholesky inverse in place: XᵀX + λI is symmetric positive definite, and its transpose
    # (the same matrix) is the Fortran-ordered array LAPACK can overwrite without a copy.
    factor, _ = linalg.cho_factor(gram.T, lower=True, overwrite_a=True, check_finite=False)
    inverse, info = linalg.lapack.get_lapack_funcs("potri", (factor,))(factor, lower=True, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE inversion failed (potri info {info})")
    mirror_lower(inverse)
    # P is symmetric, so its C-ordered view is P too: scoring reads rows, which must be contiguous.
    weights = inverse.T
    diagonal = np.diag(weights).copy()
    weights /= -diagonal[np.newaxis, :]
    weights[np.diag_indices_from(weights)] = 0.0
    return weights


class EASEEngine(FeedbackEngine):
    """Embarrassingly shallow autoencoder on the most played items; serves ``similar_items``."""

    name = "ease"
    config_class = EASEConfig
    config: EASEConfig

    def _fit(self, feedback: InteractionMatrix) -> InteractionMatrix:
        feedback = bounded(feedback, self.config.max_items)
        with threadpool_limits(self.config.threads or None, "blas"):
            self._weights = ease_weights(self._input(feedback.matrix), self.config.l2)
        return feedback

    def _input(self, matrix: sparse.csr_matrix) -> sparse.csr_matrix:
        """The model's input: confidences, or 1 for every stored entry when ``binary``."""
        matrix = matrix.astype(np.float32, copy=True)
        if self.config.binary:
            matrix.data[:] = 1.0
        return matrix

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self._weights = arrays["weights"]

    def _model_arrays(self) -> dict[str, np.ndarray]:
        return {"weights": self._weights}

    def _score_row(self, row: sparse.csr_matrix, columns: np.ndarray) -> np.ndarray:
        # Every item is scored, then picked, so that a score does not depend on the others asked
        # (scipy's sparse-times-dense product: single-threaded, twice as fast as a BLAS gather).
        return np.asarray(self._input(row) @ self._weights).ravel()[columns]

    def _contributions(self, row: sparse.csr_matrix, columns: np.ndarray) -> np.ndarray:
        row = self._input(row)
        return row.data[:, np.newaxis] * self._weights[np.ix_(row.indices, columns)]

    def similar_items(self, item_id: int, k: int) -> ScoredItems:
        """Items with the largest weight from ``item_id`` (what a listener of it would get)."""
        self._check_fitted()
        column = self._columns([item_id])[0]
        if column < 0 or k <= 0:
            return ScoredItems.empty()
        weights = self._weights[column].astype(np.float64)
        weights[column] = -np.inf
        top = top_k_indices(weights, min(k, len(weights) - 1))
        top = top[weights[top] > 0]
        return ScoredItems(self.known_items()[top], weights[top])
