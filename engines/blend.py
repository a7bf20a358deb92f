"""The learned mix: weights for the engines' scores and popularity, learned on held-out data.

Features of a candidate, computed over its candidate set exactly as the mixer sees it: per
engine its standardised score (lowest where it cannot score) and the standardised log
popularity of the item in the training data. The blend is fitted on a held-out slice of the
training data (:func:`holdout_slice`): each sampled user's latest interaction against sampled
items the user never touched. The weights maximise HR@10 + NDCG@10 there, starting from the
fixed mix's weights, which are kept unless held-out lists say otherwise. A linear blend keeps every
engine's contribution exact and explainable; a LambdaRank tree ensemble over the same features
(LightGBM) ranked worse on MovieLens 100K in our measurements.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from engines.base import TrainingData, positions, standardise
from engines.feedback import interaction_confidence

ARTIFACT_KIND = "hz45.learned_mix"
ARTIFACT_FORMAT = 1
POPULARITY = "popularity"


@dataclass
class HeldOutSlice:
    """Per sampled user the held-out latest item; the rest of the data is ``train``."""

    train: TrainingData
    user_ids: np.ndarray
    positives: np.ndarray
    seen: dict[int, np.ndarray]  # every item of the user before the split (never a negative)


def holdout_slice(data: TrainingData, n_users: int = 2000, seed: int = 0) -> HeldOutSlice:
    """Hold out the latest interaction of up to ``n_users`` seeded users with 3+ interactions."""
    pairs = interaction_confidence(data)
    rng = np.random.default_rng(seed)
    pairs = pairs.assign(_tie=rng.random(len(pairs))).sort_values(["user_id", "timestamp", "_tie"])
    counts = pairs.groupby("user_id")["item_id"].size()
    eligible = counts.index[counts >= 3].to_numpy()
    chosen = np.sort(rng.choice(eligible, size=min(n_users, len(eligible)), replace=False))
    last = pairs.drop_duplicates("user_id", keep="last").set_index("user_id").loc[chosen, "item_id"]
    keys = pd.MultiIndex.from_arrays([chosen, last.to_numpy()])

    def without(frame: pd.DataFrame) -> pd.DataFrame:
        if not len(frame):
            return frame
        drop = pd.MultiIndex.from_arrays([frame["user_id"], frame["item_id"]]).isin(keys)
        return frame.loc[~drop].reset_index(drop=True)

    train = TrainingData(ratings=without(data.ratings), plays=without(data.plays), users=data.users, items=data.items)
    mine = pairs[pairs["user_id"].isin(chosen)]
    seen = {int(u): g.to_numpy() for u, g in mine.groupby("user_id")["item_id"]}
    return HeldOutSlice(train, chosen.astype(np.int64), last.to_numpy(np.int64), seen)


def popularity_counts(data: TrainingData) -> tuple[np.ndarray, np.ndarray]:
    """``(item_ids sorted, number of users who interacted)`` over the training data."""
    pairs = interaction_confidence(data)
    counts = pairs.groupby("item_id")["user_id"].size()
    return counts.index.to_numpy(np.int64), counts.to_numpy(np.float64)


def _feature_names(engines: list[str]) -> list[str]:
    return [*engines, POPULARITY]


@dataclass
class BlendParams:
    """Pairwise logistic regression: inverse regularisation strength and negatives per list."""

    c: float = 1.0
    pairs_per_list: int = 99
    seed: int = 0


TOP_K = 10  # the list length the learned weights are chosen for
SEARCH_STEPS = (0.5, 0.2, 0.1, 0.05)  # coordinate steps, as shares of the weights' total size


class _Lists:
    """Candidate lists as arrays: each list's held-out item's features and its negatives'
    (padded with NaN rows to the longest list)."""

    def __init__(self, lists: list[tuple[np.ndarray, np.ndarray]]) -> None:
        kept = [(f, y) for f, y in lists if (y > 0).any() and (y <= 0).any()]
        self.size = len(kept)
        width = max((int((y <= 0).sum()) for _, y in kept), default=0)
        dims = kept[0][0].shape[1] if kept else 0
        self.positives = np.array([f[y > 0][0] for f, y in kept]).reshape(self.size, dims)
        self.negatives = np.full((self.size, width, dims), np.nan)
        for row, (features, labels) in enumerate(kept):
            negatives = features[labels <= 0]
            self.negatives[row, : len(negatives)] = negatives

    def ranks(self, weights: np.ndarray) -> np.ndarray:
        """0-based rank of each held-out item among its list under ``weights`` (ties against)."""
        positive = self.positives @ weights
        negative = np.nan_to_num(self.negatives @ weights, nan=-np.inf)
        return np.count_nonzero(negative >= positive[:, None], axis=1)

    def metrics(self, weights: np.ndarray) -> tuple[float, float]:
        """HR@10 and NDCG@10 of the held-out items under ``weights``."""
        if not self.size:
            return 0.0, 0.0
        rank = self.ranks(weights)
        hits = rank < TOP_K
        return float(hits.mean()), float(np.where(hits, 1.0 / np.log2(rank + 2.0), 0.0).mean())

    def objective(self, weights: np.ndarray) -> float:
        """HR@10 + NDCG@10, plus a small share of the mean rank's AUC so that lists already
        in the top 10 still tell the search which way is better."""
        rank = self.ranks(weights)
        hits = rank < TOP_K
        ndcg = np.where(hits, 1.0 / np.log2(rank + 2.0), 0.0).mean()
        auc = 1.0 - rank.mean() / max(self.negatives.shape[1], 1)
        return float(hits.mean() + ndcg + 1e-3 * auc)


def _unit(weights: np.ndarray) -> np.ndarray:
    """``weights`` scaled to absolute sum 1 (a blend's ranking does not depend on its scale)."""
    total = np.abs(weights).sum()
    return weights / total if total > 0 else weights


def _coordinate_search(lists: _Lists, weights: np.ndarray) -> np.ndarray:
    """Improve ``weights`` one coordinate at a time, in shrinking steps, while the objective rises."""
    best, score = weights.copy(), lists.objective(weights)
    for step in SEARCH_STEPS:
        improved = True
        while improved:
            improved = False
            for index in range(len(best)):
                for delta in (step, -step):
                    trial = best.copy()
                    trial[index] += delta
                    trial = _unit(trial)
                    value = lists.objective(trial)
                    if value > score + 1e-12:
                        best, score, improved = trial, value, True
    return best


class LearnedBlend:
    """Weights for the engines' standardised scores (and popularity), learned on held-out data.

    The blend score of a candidate is ``Σ w_e · z_e + w_pop · z_pop`` over its candidate set,
    so it is the fixed mixer's arithmetic with learned weights, and each engine's part of the
    sum is its contribution.
    """

    def __init__(self, engines: list[str], item_ids: np.ndarray, counts: np.ndarray) -> None:
        self.engines = list(engines)
        self.item_ids = np.asarray(item_ids, dtype=np.int64)
        self.counts = np.asarray(counts, dtype=np.float64)
        self.weights: np.ndarray | None = None
        self.metrics: dict[str, float] = {}

    def features(self, scores: Mapping[str, np.ndarray], item_ids: np.ndarray) -> np.ndarray:
        """The feature matrix of one candidate set (rows follow ``item_ids``): per engine its
        standardised score (0 where it scored none), then standardised log popularity."""
        item_ids = np.asarray(item_ids, dtype=np.int64)
        columns = []
        for engine in self.engines:
            values = scores.get(engine)
            values = np.full(len(item_ids), np.nan) if values is None else np.asarray(values, dtype=np.float64)
            columns.append(np.nan_to_num(standardise(values), nan=0.0))
        found = positions(self.item_ids, item_ids)
        counts = np.where(found >= 0, self.counts[found.clip(min=0)], 0.0) if len(self.item_ids) else np.zeros(len(found))
        columns.append(np.nan_to_num(standardise(np.log1p(counts)), nan=0.0))
        return np.column_stack(columns)

    def fit(self, lists: list[tuple[np.ndarray, np.ndarray]], params: BlendParams | None = None,
            prior: Mapping[str, float] | None = None, val_share: float = 0.2) -> Self:
        """Fit on ``(features, labels)`` per candidate list (label 1: the held-out item).

        The weights maximise HR@10 + NDCG@10 of the held-out items: a coordinate search starts
        from the better of ``prior`` (the fixed mix's weights by engine; popularity 0, engines
        not named 1) and a pairwise logistic fit (RankNet's loss with a linear scorer). On
        ``val_share`` of the lists, kept out of the search, the result must beat the prior or
        the prior is kept, so the learned mix does not rank worse than the weights it started
        from on held-out data. Metrics: each weight, ``blend_val_hr`` / ``blend_val_ndcg`` and
        the prior's ``prior_val_hr`` / ``prior_val_ndcg``, and ``blend_kept_prior`` (1 or 0).
        """
        params = params or BlendParams()
        rng = np.random.default_rng(params.seed)
        order = rng.permutation(len(lists))
        n_val = int(len(lists) * val_share) if len(lists) >= 10 else 0
        train = _Lists([lists[i] for i in order[n_val:]])
        if not train.size:
            raise ValueError("the learned mix needs candidate lists with a held-out item and negatives")
        prior = dict(prior or {})
        start = np.array([float(prior.get(name, 1.0)) for name in self.engines] + [0.0])
        starts = [_unit(start), _unit(self._pairwise(train, params, rng))]
        best = max(starts, key=train.objective)
        weights = _coordinate_search(train, best)
        self.metrics = {}
        if n_val:
            val = _Lists([lists[i] for i in order[:n_val]])
            learned, kept = val.metrics(weights), val.metrics(_unit(start))
            if val.size and sum(learned) < sum(kept):
                weights, learned = _unit(start), kept
            self.metrics = {"blend_val_hr": learned[0], "blend_val_ndcg": learned[1],
                            "prior_val_hr": kept[0], "prior_val_ndcg": kept[1],
                            "blend_kept_prior": float(np.array_equal(weights, _unit(start)))}  # fmt: skip
        self.weights = weights
        self.metrics |= {f"weight_{name}": float(w) for name, w in zip(_feature_names(self.engines), weights, strict=True)}
        return self

    @staticmethod
    def _pairwise(lists: _Lists, params: BlendParams, rng: np.random.Generator) -> np.ndarray:
        diffs = []
        for positive, negatives in zip(lists.positives, lists.negatives, strict=True):
            valid = negatives[np.isfinite(negatives).all(axis=1)]
            chosen = valid[rng.choice(len(valid), min(params.pairs_per_list, len(valid)), replace=False)]
            diffs.append(positive - chosen)
        x = np.vstack(diffs)
        # Both orientations, so the classes are balanced and no intercept is needed.
        model = LogisticRegression(C=params.c, fit_intercept=False, max_iter=1000)
        model.fit(np.vstack([x, -x]), np.r_[np.ones(len(x)), np.zeros(len(x))])
        return model.coef_.ravel().astype(np.float64)

    def score(self, scores: Mapping[str, np.ndarray], item_ids: np.ndarray) -> np.ndarray:
        """Blend scores for one candidate set; NaN where no engine scored."""
        return self._total(scores, item_ids)[0]

    def contributions(self, scores: Mapping[str, np.ndarray], item_ids: np.ndarray) -> dict[str, np.ndarray]:
        """Per engine (and ``popularity``) its part of each item's blend score."""
        return self._total(scores, item_ids)[1]

    def _total(self, scores, item_ids) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        if self.weights is None:
            raise RuntimeError("the learned mix is not fitted")
        features = self.features(scores, item_ids)
        parts = {name: features[:, i] * w for i, (name, w) in enumerate(zip(_feature_names(self.engines), self.weights, strict=True))}
        scored = np.zeros(len(features), dtype=bool)
        for engine in self.engines:
            if engine in scores:
                scored |= np.isfinite(np.asarray(scores[engine], dtype=np.float64))
        total = features @ self.weights
        return np.where(scored, total, np.nan), parts

    def dumps(self) -> bytes:
        """JSON: engines, popularity counts and the weights (no pickle)."""
        payload: dict[str, Any] = {
            "kind": ARTIFACT_KIND, "format": ARTIFACT_FORMAT, "engines": self.engines,
            "item_ids": self.item_ids.tolist(), "counts": self.counts.tolist(), "metrics": self.metrics,
            "weights": self.weights.tolist() if self.weights is not None else None,
        }
        return json.dumps(payload).encode()

    @classmethod
    def loads(cls, blob: bytes) -> Self:
        """Inverse of :meth:`dumps`; refuses anything else."""
        try:
            payload = json.loads(blob)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TypeError(f"not a learned-mix artifact: {exc}") from exc
        if not isinstance(payload, dict) or payload.get("kind") != ARTIFACT_KIND or payload.get("format") != ARTIFACT_FORMAT:
            raise TypeError("not a learned-mix artifact (or an unsupported format version)")
        blend = cls(payload["engines"], np.asarray(payload["item_ids"], dtype=np.int64),
                    np.asarray(payload["counts"], dtype=np.float64))
        blend.metrics = dict(payload["metrics"])
        if payload["weights"] is not None:
            blend.weights = np.asarray(payload["weights"], dtype=np.float64)
            if len(blend.weights) != len(blend.engines) + 1:
                raise TypeError("learned-mix artifact: weights do not match its engines")
        return blend
