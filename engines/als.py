"""Alternating least squares on plays and ratings with confidence (implicit's ALS).

Hu, Koren & Volinsky's model: every (user, item) pair is a preference (1 where the user played
or rated the item, else 0) weighed by a confidence ``1 + alpha * c``, with ``c`` the
:mod:`engines.feedback` confidence. implicit reads its input as that total confidence, so the
engine hands it ``1 + alpha * c`` (implicit's own ``alpha`` stays 1). At query time the user's
factors are solved again from their current row (``recalculate_user``): a new play changes the
list at once, and the stored model needs only the item factors.
"""

from __future__ import annotations

from dataclasses import dataclass

import implicit.cpu.als
import implicit.gpu
import numpy as np
from implicit.als import AlternatingLeastSquares
from scipy import sparse
from threadpoolctl import threadpool_limits

from engines.artifacts import FeedbackConfig, FeedbackEngine
from engines.base import ScoredItems, UserContext, top_k_indices
from engines.feedback import InteractionMatrix
from engines.retrieval import InnerProductIndex


@dataclass
class ALSConfig(FeedbackConfig):
    """Hyper-parameters of :class:`ALSEngine`.

    ``alpha`` scales the confidence of a positive pair (Hu et al.'s α). ``regularization`` =
    50 with ``alpha`` = 10 was best of a grid (λ 0.01–200, α 1–30, 64/128 factors) on
    validation splits carved out of the ML-1M and ML-100K training data; 128 factors did not
    beat 64. ``use_gpu``: ``None`` trains on a GPU when implicit has CUDA; the model is always
    served from CPU arrays. ``retrieval_candidates``: from ``exact_retrieval_below`` items on, a
    user's top picks come from the ``retrieval_candidates`` unseen items an inverted-file index
    (:mod:`engines.retrieval`) finds for their factors, instead of scoring every item.
    """

    factors: int = 64
    regularization: float = 50.0
    iterations: int = 15
    alpha: float = 10.0
    use_gpu: bool | None = None
    retrieval_candidates: int = 500
    exact_retrieval_below: int = 20_000


def hu_confidence(matrix: sparse.csr_matrix, alpha: float) -> sparse.csr_matrix:
    """``1 + alpha * c`` on the stored entries (the total confidence implicit expects)."""
    weighted = matrix.astype(np.float32, copy=True)
    weighted.data = 1.0 + alpha * weighted.data
    return weighted


class ALSEngine(FeedbackEngine):
    """Implicit-feedback matrix factorisation; serves ``similar_items`` by factor cosine."""

    name = "als"
    config_class = ALSConfig
    config: ALSConfig
    _last_factors: tuple[sparse.csr_matrix, np.ndarray] | None = None  # (row, its factors)

    def _fit(self, feedback: InteractionMatrix) -> InteractionMatrix:
        config = self.config
        use_gpu = implicit.gpu.HAS_CUDA if config.use_gpu is None else config.use_gpu
        # implicit parallelises over users itself; a threaded BLAS underneath only competes.
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=config.factors, regularization=config.regularization, alpha=1.0,
                iterations=config.iterations, random_state=config.seed, use_gpu=use_gpu,
            )  # fmt: skip
            model.fit(hu_confidence(feedback.matrix, config.alpha), show_progress=False)
        if use_gpu:
            model = model.to_cpu()
        self._restore({"item_factors": np.asarray(model.item_factors, dtype=np.float32)})
        return feedback

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        config = self.config
        with threadpool_limits(1, "blas"):  # (implicit warns about a threaded BLAS otherwise)
            self._model = implicit.cpu.als.AlternatingLeastSquares(
                factors=config.factors, regularization=config.regularization, alpha=1.0, num_threads=1
            )
        self._model.item_factors = np.ascontiguousarray(arrays["item_factors"], dtype=np.float32)
        self._index = InnerProductIndex(self._model.item_factors, exact_below=config.exact_retrieval_below)

    def _model_arrays(self) -> dict[str, np.ndarray]:
        return {"item_factors": self._model.item_factors}

    def user_factors(self, row: sparse.csr_matrix) -> np.ndarray:
        """The least-squares factors of one user row of confidences, given the item factors
        (the last row's are kept: one answer asks for them for top picks and for scores)."""
        last = self._last_factors
        if last is not None and last[0] is row:
            return last[1]
        factors = self._model.recalculate_user(0, hu_confidence(row, self.config.alpha))
        self._last_factors = (row, factors)
        return factors

    def candidates(self, context: UserContext) -> np.ndarray:
        """Unseen items; on a large catalog only those the retrieval index finds for the user."""
        if not self._index.approximate:
            return super().candidates(context)
        row = self._feedback.user_row(context)
        if not row.nnz:
            return np.empty(0, dtype=np.int64)
        found = self._index.top(self.user_factors(row), self.config.retrieval_candidates, exclude=row.indices)
        return self.known_items()[found]

    def _score_row(self, row: sparse.csr_matrix, columns: np.ndarray) -> np.ndarray:
        # A row-wise sum, not a matrix product: an item's score must not depend on which other
        # items are asked for (BLAS sums differently by shape).
        factors = self.user_factors(row)
        return (self._model.item_factors[columns] * factors).sum(axis=1, dtype=np.float64)

    def similar_items(self, item_id: int, k: int) -> ScoredItems:
        """Items whose factor vectors have the highest cosine similarity to ``item_id``'s."""
        self._check_fitted()
        column = self._columns([item_id])[0]
        if column < 0 or k <= 0:
            return ScoredItems.empty()
        factors = self._model.item_factors
        norms = np.linalg.norm(factors, axis=1)
        similarity = (factors @ factors[column]) / np.maximum(norms * norms[column], 1e-12)
        similarity = similarity.astype(np.float64)
        similarity[column] = -np.inf
        top = top_k_indices(similarity, min(k, len(similarity) - 1))
        return ScoredItems(self.known_items()[top], similarity[top])
