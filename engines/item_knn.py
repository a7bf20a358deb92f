"""Item-item nearest neighbours on plays and ratings (implicit's BM25 or cosine recommender).

implicit computes, for every item, its ``neighbours`` most similar items (BM25-weighted or
cosine similarity of the items' listener columns) as a sparse matrix ``S``. A user's scores
are their current row of confidences times ``S``, the same sum implicit's own scorer makes,
so a new play changes the list at once without retraining.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from implicit.nearest_neighbours import BM25Recommender, CosineRecommender
from implicit.utils import ParameterWarning
from scipy import sparse

from engines.artifacts import FeedbackConfig, FeedbackEngine, pack_csr, unpack_csr
from engines.base import ScoredItems, top_k_indices
from engines.feedback import InteractionMatrix

SIMILARITIES = ("bm25", "cosine")


@dataclass
class ItemKNNConfig(FeedbackConfig):
    """Hyper-parameters of :class:`ItemKNNEngine`; ``bm25_k1`` and ``bm25_b`` apply to
    ``similarity="bm25"`` only.

    The defaults (implicit's ``BM25Recommender`` ones, 100 neighbours) were the best of a small
    grid on a validation split carved out of the ML-1M training pairs; cosine was worse there.
    """

    similarity: str = "bm25"
    neighbours: int = 100
    bm25_k1: float = 1.2
    bm25_b: float = 0.75

    def __post_init__(self) -> None:
        if self.similarity not in SIMILARITIES:
            raise ValueError(f"similarity must be one of {SIMILARITIES}, not {self.similarity!r}")


class ItemKNNEngine(FeedbackEngine):
    """Listeners who play what you play also play these; serves ``similar_items``."""

    name = "item_knn"
    config_class = ItemKNNConfig
    config: ItemKNNConfig

    def _fit(self, feedback: InteractionMatrix) -> InteractionMatrix:
        config = self.config
        if config.similarity == "bm25":
            model = BM25Recommender(K=config.neighbours, K1=config.bm25_k1, B=config.bm25_b)
        else:
            model = CosineRecommender(K=config.neighbours)
        with warnings.catch_warnings():
            # implicit reweighs into a COO matrix itself, then warns that it is not CSR.
            warnings.simplefilter("ignore", ParameterWarning)
            model.fit(feedback.matrix, show_progress=False)
        self._similarity = sparse.csr_matrix(model.similarity, dtype=np.float32)
        return feedback

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self._similarity = unpack_csr(arrays, "similarity")

    def _model_arrays(self) -> dict[str, np.ndarray]:
        return pack_csr("similarity", self._similarity)

    def _score_row(self, row: sparse.csr_matrix, columns: np.ndarray) -> np.ndarray:
        return (row @ self._similarity).toarray().ravel()[columns]

    def _contributions(self, row: sparse.csr_matrix, columns: np.ndarray) -> np.ndarray:
        return row.data[:, np.newaxis] * self._similarity[row.indices][:, columns].toarray()

    def similar_items(self, item_id: int, k: int) -> ScoredItems:
        """The item's nearest neighbours, most similar first (itself left out)."""
        self._check_fitted()
        column = self._columns([item_id])[0]
        if column < 0 or k <= 0:
            return ScoredItems.empty()
        start, end = self._similarity.indptr[column], self._similarity.indptr[column + 1]
        neighbours = self._similarity.indices[start:end]
        similarity = self._similarity.data[start:end].astype(np.float64)
        keep = (neighbours != column) & (similarity > 0)
        neighbours, similarity = neighbours[keep], similarity[keep]
        top = top_k_indices(similarity, k)
        return ScoredItems(self.known_items()[neighbours[top]], similarity[top])
