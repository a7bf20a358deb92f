"""Similar listeners: cosine similarity between users' play counts, and what their neighbours play.

Users are rows of a sparse user × track matrix of play counts. Two listeners' similarity is the
cosine of their rows; each user's neighbours are the ``k`` most similar others with a positive
similarity (at least one track in common), ties broken by the smaller user id. The product of
the L2-normalised matrix with its transpose is computed in blocks of rows, so memory stays at
one dense ``block × users`` array (10,000 users, 89,000 tracks and 1,000,000 plays take a few
seconds).

:class:`SimilarListeners` adapts this to the engine contract: a track's score for a user is the
sum, over the user's neighbours, of the neighbour's plays of the track times their similarity
("popular among listeners like you").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.preprocessing import normalize

from engines.artifacts import pack_csr, pack_engine, unpack_csr, unpack_engine
from engines.base import Engine, EngineConfig, TrainingData, UserContext, positions

REASON = "popular among listeners like you"
BLOCK_ROWS = 512
DECIMALS = 9


@dataclass(frozen=True)
class PlayMatrix:
    """Play counts: ``matrix[i, j]`` is how often ``users[i]`` played ``items[j]`` (both sorted)."""

    users: np.ndarray
    items: np.ndarray
    matrix: sparse.csr_matrix


def play_matrix(user_ids, item_ids, plays=None) -> PlayMatrix:
    """The play-count matrix of (user, item[, plays]) rows; repeated pairs are summed."""
    user_ids, item_ids = np.asarray(user_ids, dtype=np.int64), np.asarray(item_ids, dtype=np.int64)
    plays = np.ones(len(user_ids)) if plays is None else np.asarray(plays, dtype=np.float64)
    users, rows = np.unique(user_ids, return_inverse=True)
    items, columns = np.unique(item_ids, return_inverse=True)
    matrix = sparse.csr_matrix((plays, (rows, columns)), shape=(len(users), len(items)))
    matrix.sum_duplicates()
    return PlayMatrix(users, items, matrix)


def _top_of_block(sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``sims``, the columns of the ``k`` highest positive values (ties: lower column
    first) and those values; -1 and 0 pad rows with fewer."""
    k = min(k, sims.shape[1])
    # the k-th value of each row; everything above it, then the lowest columns equal to it
    kth = -np.partition(-sims, k - 1, axis=1)[:, k - 1:k]
    above, tied = sims > kth, sims == kth
    chosen = above | (tied & (np.cumsum(tied, axis=1) <= k - above.sum(axis=1, keepdims=True)))
    columns = np.nonzero(chosen)[1].reshape(len(sims), k)  # ascending within each row
    # a stable sort of the negated values keeps ties in column order
    order = np.take_along_axis(columns, np.argsort(-np.take_along_axis(sims, columns, axis=1),
                                                   axis=1, kind="stable"), axis=1)
    values = np.take_along_axis(sims, order, axis=1)
    keep = values > 0
    return np.where(keep, order, -1), np.where(keep, values, 0.0)


def top_neighbours(
    matrix: sparse.spmatrix, k: int, *, others: sparse.spmatrix | None = None, block_rows: int = BLOCK_ROWS
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` nearest rows of ``others`` (default: of ``matrix`` itself, never the row
    itself) by cosine similarity: ``(rows, similarities)``, both ``len(matrix) × k``, best first;
    row -1 (similarity 0) where fewer than ``k`` rows share anything with it."""
    queries = sparse.csr_matrix(matrix, dtype=np.float64)
    pool = queries if others is None else sparse.csr_matrix(others, dtype=np.float64)
    width = max(0, min(k, pool.shape[0] - (others is None)))
    rows = np.full((queries.shape[0], width), -1, dtype=np.int64)
    sims = np.zeros((queries.shape[0], width))
    if not width or not queries.shape[0] or not queries.shape[1]:
        return rows, sims
    queries = normalize(queries)
    pool = queries if others is None else normalize(pool)
    pool_t = pool.T.tocsc()
    for start in range(0, queries.shape[0], block_rows):
        stop = min(start + block_rows, queries.shape[0])
        # rounded, so that rows equally similar in exact arithmetic tie (and go to the smaller id)
        block = np.round((queries[start:stop] @ pool_t).toarray(), DECIMALS)
        if others is None:
            block[np.arange(stop - start), np.arange(start, stop)] = -np.inf  # not one's own neighbour
        rows[start:stop], sims[start:stop] = _top_of_block(block, width)
    return rows, sims


def neighbour_scores(matrix: sparse.csr_matrix, rows: np.ndarray, sims: np.ndarray) -> np.ndarray:
    """Per column of ``matrix``: the neighbours' (``rows``, -1 ignored) values weighted by ``sims``."""
    known = rows >= 0
    return np.asarray((_row(sims[known], rows[known], matrix.shape[0]) @ matrix).todense()).ravel()


def _row(values: np.ndarray, columns: np.ndarray, width: int) -> sparse.csr_matrix:
    """A one-row sparse matrix holding ``values`` at ``columns``."""
    return sparse.csr_matrix((values, (np.zeros(len(columns), dtype=np.int64), columns)), shape=(1, width))


@dataclass
class SimilarListenersConfig(EngineConfig):
    """Hyper-parameters of :class:`SimilarListeners`: how many neighbours score a user's tracks."""

    neighbours: int = 50


class SimilarListeners(Engine):
    """Tracks popular among the listeners most similar to you (cosine over play counts)."""

    name = "similar_listeners"
    config_class = SimilarListenersConfig
    config: SimilarListenersConfig

    def fit(self, data: TrainingData) -> Self:
        """Count plays (ratings where the snapshot has no plays) and find every user's neighbours."""
        events = data.plays if len(data.plays) or not len(data.ratings) else data.ratings
        plays = play_matrix(events["user_id"], events["item_id"])
        self._plays = plays
        self._rows, self._sims = top_neighbours(plays.matrix, self.config.neighbours)
        self.metrics = {"users": float(len(plays.users)), "items": float(len(plays.items)),
                        "plays": float(plays.matrix.sum())}  # fmt: skip
        self.fitted = True
        return self

    def _neighbourhood(self, context: UserContext) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(neighbour rows, similarities, columns the user played)``; a user unknown at training
        time is placed by the history the query carries."""
        self._check_fitted()
        row = positions(self._plays.users, [context.user_id if context.user_id is not None else -1])[0]
        if row >= 0:
            return self._rows[row], self._sims[row], self._plays.matrix[row].indices
        columns = positions(self._plays.items, context.history_item_ids)
        weights = np.asarray(context.history_weights or np.ones(len(columns)), dtype=np.float64)
        known = columns >= 0
        if not known.any():
            return np.empty(0, dtype=np.int64), np.empty(0), np.empty(0, dtype=np.int64)
        history = _row(weights[known], columns[known], len(self._plays.items))
        rows, sims = top_neighbours(history, self.config.neighbours, others=self._plays.matrix)
        return rows[0], sims[0], columns[known]

    def _scores(self, context: UserContext) -> tuple[np.ndarray, np.ndarray]:
        rows, sims, played = self._neighbourhood(context)
        if not (rows >= 0).any():
            return np.full(len(self._plays.items), np.nan), played
        return neighbour_scores(self._plays.matrix, rows, sims), played

    def known_items(self) -> np.ndarray:
        """Every track played in the training data."""
        self._check_fitted()
        return self._plays.items.copy()

    def candidates(self, context: UserContext) -> np.ndarray:
        """Tracks the user's neighbours played and the user did not."""
        scores, played = self._scores(context)
        mask = scores > 0
        mask[played] = False
        return self._plays.items[mask]

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        """The neighbours' similarity-weighted plays; NaN for unknown items or a user without neighbours."""
        scores, _ = self._scores(context)
        columns = positions(self._plays.items, item_ids)
        return np.where(columns >= 0, scores[columns], np.nan)

    def explain(self, context: UserContext, item_ids: np.ndarray) -> tuple[np.ndarray | None, str | None]:
        return None, REASON

    # -- artifact --------------------------------------------------------------------
    def dumps(self) -> bytes:
        """Config, metrics, the play matrix and each user's neighbours, as data."""
        self._check_fitted()
        arrays = {"users": self._plays.users, "items": self._plays.items, **pack_csr("plays", self._plays.matrix),
                  "rows": self._rows, "sims": self._sims}  # fmt: skip
        return pack_engine(self, arrays)

    @classmethod
    def loads(cls, blob: bytes) -> Self:
        """Inverse of :meth:`dumps`; ``TypeError`` for anything but a similar_listeners artifact."""
        engine, _, arrays = unpack_engine(cls, blob)
        try:
            engine._plays = PlayMatrix(arrays["users"], arrays["items"], unpack_csr(arrays, "plays"))
            engine._rows, engine._sims = arrays["rows"], arrays["sims"]
        except KeyError as missing:
            raise TypeError(f"incomplete {cls.name} artifact: no {missing}") from None
        if engine._rows.shape != engine._sims.shape or engine._rows.shape[0] != len(engine._plays.users):
            raise TypeError(f"inconsistent {cls.name} artifact: neighbours do not match its users")
        engine.fitted = True
        return engine


def neighbours_frame(plays: PlayMatrix, k: int) -> pd.DataFrame:
    """Every user's neighbours as rows ``user_id, neighbour_id, similarity, rank`` (rank from 1)."""
    rows, sims = top_neighbours(plays.matrix, k)
    users, ranks = np.nonzero(rows >= 0)
    return pd.DataFrame({
        "user_id": plays.users[users], "neighbour_id": plays.users[rows[users, ranks]],
        "similarity": sims[users, ranks], "rank": ranks + 1,
    })
