"""Implicit feedback with confidence: what plays and ratings say about a listener's taste.

Every collaborative engine learns from the same signal, built here: per (user, item) a
confidence ``log(1 + plays) + rating_part`` where ``plays`` counts plays (or sums a ``weight``
column, as in listening-count datasets), optionally decayed by age with a half-life, and a
rated item adds ``1 + rating / 5`` (being in a playlist says something even unrated). The
same function turns a user's current history into weights at query time, so engines that
score from history react to new plays without retraining.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from engines.base import TrainingData, UserContext

SECONDS_PER_DAY = 86_400.0


def confidence(play_counts: np.ndarray, ratings: np.ndarray) -> np.ndarray:
    """Confidence per item from (decayed) play counts and ratings (NaN where not rated)."""
    play_counts = np.asarray(play_counts, dtype=np.float64)
    ratings = np.asarray(ratings, dtype=np.float64)
    rated = np.where(np.isnan(ratings), 0.0, 1.0 + np.nan_to_num(ratings) / 5.0)
    return np.log1p(np.maximum(play_counts, 0.0)) + rated


def play_weights(plays: pd.DataFrame, half_life_days: float | None, now: float | None) -> np.ndarray:
    """Per play row: its ``weight`` (or 1), halved every ``half_life_days`` of age (if set)."""
    weights = plays["weight"].to_numpy(np.float64) if "weight" in plays else np.ones(len(plays))
    stamps = plays["timestamp"].to_numpy(np.float64)
    if half_life_days and len(plays) and stamps.max() > 0:
        now = stamps.max() if now is None else now
        age_days = np.maximum(now - stamps, 0.0) / SECONDS_PER_DAY
        weights = weights * np.power(0.5, age_days / half_life_days)
    return weights


def interaction_confidence(
    data: TrainingData, half_life_days: float | None = None, now: float | None = None
) -> pd.DataFrame:
    """``user_id, item_id, confidence, timestamp`` for every pair the user played or rated."""
    plays = data.plays
    play_part = (
        pd.DataFrame({"user_id": plays["user_id"].to_numpy(np.int64),
                      "item_id": plays["item_id"].to_numpy(np.int64),
                      "count": play_weights(plays, half_life_days, now),
                      "timestamp": plays["timestamp"].to_numpy(np.int64)})
        .groupby(["user_id", "item_id"], as_index=False, sort=False)
        .agg(count=("count", "sum"), timestamp=("timestamp", "max"))
    )  # fmt: skip
    ratings = data.ratings
    rating_part = pd.DataFrame({
        "user_id": ratings["user_id"].to_numpy(np.int64), "item_id": ratings["item_id"].to_numpy(np.int64),
        "rating": ratings["rating"].to_numpy(np.float64),
        "rated_at": ratings["timestamp"].to_numpy(np.int64),
    }).drop_duplicates(["user_id", "item_id"], keep="last")  # fmt: skip
    both = play_part.merge(rating_part, on=["user_id", "item_id"], how="outer")
    both["confidence"] = confidence(both["count"].fillna(0.0).to_numpy(), both["rating"].to_numpy())
    both["timestamp"] = np.fmax(both["timestamp"].to_numpy(np.float64), both["rated_at"].to_numpy(np.float64))
    both["timestamp"] = both["timestamp"].fillna(0).astype(np.int64)
    return both[["user_id", "item_id", "confidence", "timestamp"]].reset_index(drop=True)


@dataclass
class InteractionMatrix:
    """A users × items CSR matrix of confidences with the raw ids of its rows and columns."""

    users: pd.Index
    items: pd.Index
    matrix: sparse.csr_matrix
    # The last context's row: one answer asks for it several times (top picks, scores of the
    # shared candidates, explanations). Compared by identity, replaced in one assignment, so
    # concurrent requests at worst rebuild a row.
    _last_row: tuple[UserContext, sparse.csr_matrix] | None = field(default=None, init=False, repr=False,
                                                                     compare=False)

    @classmethod
    def build(cls, data: TrainingData, half_life_days: float | None = None,
              catalog: bool = True) -> InteractionMatrix:
        """From a snapshot; with ``catalog`` every item of ``data.items`` gets a column."""
        pairs = interaction_confidence(data, half_life_days)
        if not len(pairs):
            raise ValueError("no plays or ratings to learn from")
        users = pd.Index(np.unique(pairs["user_id"].to_numpy()))
        item_ids = pairs["item_id"].to_numpy()
        if catalog and "item_id" in data.items:
            item_ids = np.union1d(item_ids, data.items["item_id"].to_numpy(np.int64))
        items = pd.Index(np.unique(item_ids).astype(np.int64))
        matrix = sparse.csr_matrix(
            (pairs["confidence"].to_numpy(np.float32),
             (users.get_indexer(pairs["user_id"]), items.get_indexer(pairs["item_id"]))),
            shape=(len(users), len(items)),
        )  # fmt: skip
        return cls(users, items, matrix)

    def user_row(self, context: UserContext) -> sparse.csr_matrix:
        """The user's row: their current history from ``context`` when it has one (so new plays
        count at once), else their row at training time (empty for an unknown user). Callers
        must not modify it."""
        last = self._last_row
        if last is not None and last[0] is context:
            return last[1]
        row = self._row(context)
        self._last_row = (context, row)
        return row

    def _row(self, context: UserContext) -> sparse.csr_matrix:
        if context.history_item_ids:
            columns = self.items.get_indexer(np.asarray(context.history_item_ids, dtype=np.int64))
            weights = np.asarray(context.history_weights, dtype=np.float32)
            known = columns >= 0
            return sparse.csr_matrix(
                (weights[known], (np.zeros(known.sum(), dtype=np.int64), columns[known])), shape=(1, len(self.items))
            )
        row = self.users.get_indexer([context.user_id])[0] if context.user_id is not None else -1
        if row < 0:
            return sparse.csr_matrix((1, len(self.items)), dtype=np.float32)
        return self.matrix[row]
