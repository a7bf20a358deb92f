"""Content-based engine: audio features → standardise → PCA → Gaussian mixture clusters.

As in the original product, a user's two most played recent tracks are the seeds; within each
seed's cluster the ``neighbours`` tracks with the highest cosine similarity of standardised
audio features are the candidates, and :meth:`ContentGMM.sample` draws a seeded few of them.
Tracks without audio features stay in the catalog but are unknown to this engine.

Serving needs no fitted estimator: the artifact holds the unit feature vectors, the PCA
coordinates and the cluster labels as data (:mod:`engines.artifacts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from engines.artifacts import pack_engine, unpack_engine
from engines.base import (
    Engine,
    EngineConfig,
    ScoredItems,
    TrainingData,
    UserContext,
    positions,
    top_k_indices,
)

# The nine continuous audio features. key, mode and time_signature are categorical codes: once
# standardised they would weigh in cosine similarity as if C# were "more" than C. On the real
# Spotify catalog these nine give clearly better genre coherence than the original product's
# five (danceability, energy, loudness, acousticness, tempo) and about the same as all twelve;
# see docs/benchmarks/content_quality.md.
CONTINUOUS_FEATURES = (
    "danceability",
    "energy",
    "loudness",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
)
CRITERIA = ("bic", "silhouette")


@dataclass
class ContentGMMConfig(EngineConfig):
    """Hyper-parameters of :class:`ContentGMM`."""

    features: tuple[str, ...] = CONTINUOUS_FEATURES
    pca_components: int = 2
    component_candidates: tuple[int, ...] = (2, 3, 4, 5, 6, 7, 8)
    criterion: str = "bic"
    covariance_type: str = "full"
    silhouette_sample: int = 2000
    neighbours: int = 15
    seeds_per_user: int = 2
    sample_size: int = 4
    # "top": serve the most similar candidates; "sample": serve a seeded random
    # ``sample_size`` of them, as the original product did (4 of the 30).
    serve: str = "top"

    def __post_init__(self) -> None:
        self.features = tuple(self.features)
        self.component_candidates = tuple(int(n) for n in self.component_candidates)
        if self.criterion not in CRITERIA:
            raise ValueError(f"criterion must be one of {CRITERIA}, not {self.criterion!r}")
        if not 2 <= self.pca_components <= len(self.features):
            raise ValueError("pca_components must be between 2 and the number of features")
        if self.serve not in ("top", "sample"):
            raise ValueError(f"serve must be 'top' or 'sample', not {self.serve!r}")
        if not self.component_candidates or min(self.component_candidates) < 2:
            raise ValueError("component_candidates must be non-empty and each at least 2")


class ContentGMM(Engine):
    """Cluster-restricted cosine similarity of audio features (SPEC §4 ``content_gmm``)."""

    name = "content_gmm"
    config_class = ContentGMMConfig
    config: ContentGMMConfig

    def fit(self, data: TrainingData) -> Self:
        """Cluster every item that has all configured features; record the choice in metrics."""
        cfg = self.config
        missing = set(cfg.features) - set(data.items.columns)
        if missing:
            raise ValueError(f"items lack feature columns: {sorted(missing)}")
        frame = (
            data.items[["item_id", *cfg.features]]
            .dropna()
            .drop_duplicates("item_id")
            .sort_values("item_id")
        )
        candidates = [n for n in cfg.component_candidates if n < len(frame)]
        if not candidates:
            raise ValueError(f"{len(frame)} items with audio features are too few to cluster")
        self.metrics = {"n_items": float(len(frame))}

        standard = StandardScaler().fit_transform(frame[list(cfg.features)].to_numpy(float))
        reduced = PCA(cfg.pca_components, random_state=cfg.seed).fit_transform(standard)
        # The mixture works on tiny (d x d) matrices and its k-means start on d columns, where
        # BLAS/OpenMP threads only contend: on a busy host a threaded fit ran 20-50x slower.
        with threadpool_limits(limits=1):
            self._choose_mixture(reduced, candidates)

        norms = np.linalg.norm(standard, axis=1, keepdims=True)
        unit = standard / np.where(norms > 0, norms, 1.0)
        self._set_model(frame["item_id"].to_numpy(np.int64), unit, reduced[:, :2], self._labels)
        return self

    def _set_model(self, ids: np.ndarray, unit: np.ndarray, pca: np.ndarray, labels: np.ndarray) -> None:
        """The fitted state: per item (sorted ids) its unit vector, PCA point and cluster."""
        self._ids, self._unit, self._pca, self._labels = ids, unit, pca, labels
        order = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[order], np.arange(labels.max(initial=-1) + 2))
        self._members = [order[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        self.fitted = True

    def _choose_mixture(self, reduced: np.ndarray, candidates: list[int]) -> None:
        cfg = self.config
        rng = np.random.default_rng(cfg.seed)
        size = min(cfg.silhouette_sample, len(reduced))
        sample = np.sort(rng.choice(len(reduced), size=size, replace=False))
        best: tuple[float, np.ndarray] | None = None
        for n in candidates:
            gmm = GaussianMixture(n, covariance_type=cfg.covariance_type, random_state=cfg.seed)
            labels = gmm.fit(reduced).predict(reduced)
            bic = gmm.bic(reduced)
            silhouette = _silhouette(reduced[sample], labels[sample])
            self.metrics[f"bic_{n}"] = float(bic)
            self.metrics[f"silhouette_{n}"] = silhouette
            value = -bic if cfg.criterion == "bic" else np.nan_to_num(silhouette, nan=-np.inf)
            if best is None or value > best[0]:
                best = (value, labels)
                self.metrics["n_components"] = float(n)
                self.metrics["silhouette"] = silhouette
        # GMM may leave a component empty; renumber so cluster ids are 0..c-1 without gaps.
        self._labels = np.unique(best[1], return_inverse=True)[1].astype(np.int64)

    # -- lookups ---------------------------------------------------------------------
    def known_items(self) -> np.ndarray:
        """Item ids that have audio features."""
        self._check_fitted()
        return self._ids.copy()

    def item_annotations(self) -> pd.DataFrame:
        """``item_id, pca_x, pca_y, gmm_cluster`` per item, stored with the catalog's audio features."""
        self._check_fitted()
        return pd.DataFrame(
            {
                "item_id": self._ids,
                "pca_x": self._pca[:, 0],
                "pca_y": self._pca[:, 1],
                "gmm_cluster": self._labels,
            }
        )

    def _seed_rows(self, context: UserContext) -> np.ndarray:
        seeds = context.seed_item_ids or context.recent_item_ids[: self.config.seeds_per_user]
        rows = positions(self._ids, np.asarray(seeds, dtype=np.int64))
        return rows[rows >= 0]

    def _neighbours(self, row: int, k: int, skip: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the ``k`` most similar items in ``row``'s cluster (whole catalogue if small)."""
        members = self._members[self._labels[row]]
        if len(members) - len(skip) < k:
            members = np.arange(len(self._ids))
        members = members[~np.isin(members, skip)]
        similarity = self._unit[members] @ self._unit[row]
        top = top_k_indices(similarity, k)
        return members[top], similarity[top]

    # -- engine contract --------------------------------------------------------------
    def candidates(self, context: UserContext) -> np.ndarray:
        """Union of each seed's ``neighbours`` most similar tracks within its cluster."""
        self._check_fitted()
        seeds = self._seed_rows(context)
        found = [self._neighbours(row, self.config.neighbours, seeds)[0] for row in seeds]
        return self._ids[np.unique(np.concatenate(found))] if found else np.empty(0, np.int64)

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        """Cosine similarity to the most similar seed; NaN for unknown items or no seeds."""
        similarity = self._seed_similarity(context, item_ids)
        if not similarity.shape[1]:
            return np.full(len(similarity), np.nan)
        return similarity.max(axis=1)

    def _seed_similarity(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        self._check_fitted()
        rows = positions(self._ids, item_ids)
        similarity = self._unit[rows] @ self._unit[self._seed_rows(context)].T
        similarity[rows < 0] = np.nan
        return similarity

    def explain(
        self, context: UserContext, item_ids: np.ndarray
    ) -> tuple[np.ndarray | None, str | None]:
        """``because`` is the seed each item is most similar to."""
        similarity = self._seed_similarity(context, item_ids)
        if not similarity.shape[1]:
            return np.full(len(item_ids), -1, dtype=np.int64), None
        seeds = self._ids[self._seed_rows(context)]
        return seeds[np.nanargmax(similarity, axis=1)], None

    def recommend(self, context: UserContext, k: int, exclude: np.ndarray | None = None) -> ScoredItems:
        """The top ``k`` candidates, or with ``serve="sample"`` a seeded sample of them."""
        if self.config.serve == "sample":
            return self.sample(context, n=min(k, self.config.sample_size), exclude=exclude)
        return super().recommend(context, k, exclude)

    def similar_items(self, item_id: int, k: int) -> ScoredItems:
        """Top ``k`` by cosine similarity within the item's cluster; empty if unknown."""
        self._check_fitted()
        row = positions(self._ids, np.array([item_id]))[0]
        if row < 0 or k <= 0:
            return ScoredItems.empty()
        rows, similarity = self._neighbours(row, k, np.array([row]))
        return ScoredItems(self._ids[rows], similarity, np.full(len(rows), item_id, np.int64))

    def sample(
        self,
        context: UserContext,
        n: int | None = None,
        exclude: np.ndarray | None = None,
        salt: int = 0,
    ) -> ScoredItems:
        """A reproducible random ``n`` (default ``sample_size``) of the user's candidates.

        The draw is seeded by ``config.seed``, the user id and ``salt`` (e.g. the day), so the
        same user sees the same picks until one of them changes. Picks keep their score order.
        """
        cfg = self.config
        pool = super().recommend(context, cfg.neighbours * cfg.seeds_per_user, exclude)
        entropy = [cfg.seed, context.user_id or 0, salt]
        rng = np.random.default_rng([value & 0xFFFFFFFF for value in entropy])
        size = min(cfg.sample_size if n is None else n, len(pool))
        if size <= 0:
            return ScoredItems.empty()
        picks = np.sort(rng.choice(len(pool), size=size, replace=False))
        return ScoredItems(pool.item_ids[picks], pool.scores[picks], pool.because[picks])

    # -- artifact --------------------------------------------------------------------
    def dumps(self) -> bytes:
        """Config, metrics and per item its id, unit feature vector, PCA point and cluster."""
        self._check_fitted()
        arrays = {"ids": self._ids, "unit": self._unit, "pca": self._pca, "labels": self._labels}
        return pack_engine(self, arrays)

    @classmethod
    def loads(cls, blob: bytes) -> Self:
        """Inverse of :meth:`dumps`; ``TypeError`` for anything but a content_gmm artifact."""
        engine, _, arrays = unpack_engine(cls, blob)
        try:
            parts = [arrays[name] for name in ("ids", "unit", "pca", "labels")]
        except KeyError as missing:
            raise TypeError(f"incomplete {cls.name} artifact: no {missing}") from None
        if len({len(part) for part in parts}) != 1:
            raise TypeError(f"inconsistent {cls.name} artifact: arrays of different lengths")
        engine._set_model(*parts)
        return engine


def _silhouette(points: np.ndarray, labels: np.ndarray) -> float:
    if not 2 <= len(np.unique(labels)) < len(points):
        return float("nan")
    return float(silhouette_score(points, labels))
