"""Matrix factorisation with scikit-surprise's ``SVD`` ("new discoveries for me").

Surprise trains the model; scoring is done here in one vectorised step from the learned
``pu``, ``qi``, ``bu``, ``bi`` and the global mean, with the same formula and clipping as
``SVD.predict`` (which would cost one Python call per user-item pair). The artifact holds
those arrays only (no surprise objects, no trainset), as data (:mod:`engines.artifacts`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any, Self

import numpy as np
import pandas as pd
from scipy import sparse
from surprise import SVD, Dataset, Reader, Trainset
from surprise.model_selection import GridSearchCV, KFold

from engines.artifacts import pack_csr, pack_engine, unpack_csr, unpack_engine
from engines.base import Engine, EngineConfig, ScoredItems, TrainingData, UserContext, top_k_indices
from engines.feedback import interaction_confidence
from engines.retrieval import InnerProductIndex

# SVDConfig fields that are also keyword arguments of surprise's SVD.
_SURPRISE_PARAMS = ("n_factors", "n_epochs", "lr_all", "reg_all", "biased", "init_std_dev")


FEEDBACK = ("auto", "ratings", "implicit", "both")
RATINGS_REG = 0.02  # surprise's default
# Confidence targets with sampled negatives overfit at surprise's regularisation; on the demo
# data, MovieLens 100K and ML-1M (test splits, seed 0) 0.05 with 4 negatives was the best
# balance of 10 settings (0.1 ranks better on sparse data, 0.02 on dense).
IMPLICIT_REG = 0.05


@dataclass
class SVDConfig(EngineConfig):
    """Hyper-parameters of :class:`SVDEngine` (surprise's defaults for the model).

    ``feedback`` says what the model learns from:

    - ``ratings``: the explicit ratings as they are (scores are predicted ratings, clipped
      to ``rating_scale`` as surprise does);
    - ``implicit``: every played or rated pair, its target the low end of the rating scale
      plus ``1 - exp(-confidence)`` of its width (:func:`engines.feedback.confidence`: one
      play is half way, ten plays 90%), and ``negatives`` unplayed items per positive, drawn
      (seeded) per user, at the low end;
    - ``both``: ratings as they are, played-but-unrated pairs as in ``implicit``, and the
      negatives;
    - ``auto`` (default): ``both`` for a snapshot with ratings and plays, else ``implicit``.
      A recommender ranks, and predicted ratings rank poorly (on MovieLens 100K ranking by
      them is below popularity: HR@10 0.21 against 0.32; the implicit targets give 0.58).
      Set ``ratings`` to predict ratings as surprise does (``hz45 evaluate --metric rmse``).

    With implicit targets scores are unclipped preferences (clipping would tie the best
    items). ``use_plays_as_implicit=True`` is the older spelling of ``feedback="both"``.

    ``retrieval_candidates``: from ``exact_retrieval_below`` items on, a user's top picks come
    from the ``retrieval_candidates`` unrated items an inverted-file index
    (:mod:`engines.retrieval`) finds for their factors and bias, instead of scoring every item.
    """

    n_factors: int = 100
    n_epochs: int = 20
    lr_all: float = 0.005
    reg_all: float | None = None  # None: 0.02 (surprise's) for ratings, IMPLICIT_REG otherwise
    biased: bool = True
    init_std_dev: float = 0.1
    rating_scale: tuple[float, float] = (0.0, 5.0)
    feedback: str = "auto"
    negatives: int = 4
    use_plays_as_implicit: bool | None = None  # deprecated alias of feedback="both"
    retrieval_candidates: int = 500
    exact_retrieval_below: int = 20_000

    def __post_init__(self) -> None:
        low, high = (float(x) for x in self.rating_scale)  # JSON gives a list back
        self.rating_scale = (low, high)
        if self.use_plays_as_implicit is not None:
            if self.use_plays_as_implicit and self.feedback == "auto":
                self.feedback = "both"
            self.use_plays_as_implicit = None  # folded into feedback
        if self.feedback not in FEEDBACK:
            raise ValueError(f"unknown feedback {self.feedback!r}; expected one of {FEEDBACK}")
        if self.negatives < 0:
            raise ValueError("negatives must be >= 0")

    def surprise_params(self, mode: str = "ratings") -> dict[str, Any]:
        """Keyword arguments for ``surprise.SVD`` when learning from ``mode`` feedback."""
        params = {name: getattr(self, name) for name in _SURPRISE_PARAMS}
        if params["reg_all"] is None:
            params["reg_all"] = RATINGS_REG if mode == "ratings" else IMPLICIT_REG
        return params | {"random_state": self.seed}

    def feedback_for(self, data: TrainingData) -> str:
        """``ratings``, ``implicit`` or ``both``: ``feedback`` with ``auto`` resolved for ``data``."""
        if self.feedback != "auto":
            return self.feedback
        return "both" if len(data.plays) and len(data.ratings) else "implicit"


def implicit_target(confidence: np.ndarray, rating_scale: tuple[float, float]) -> np.ndarray:
    """A confidence mapped onto the rating scale: ``low + (high - low) * (1 - exp(-c))``."""
    low, high = rating_scale
    return low + (high - low) * -np.expm1(-np.asarray(confidence, dtype=np.float64))


def sample_unseen(
    users: np.ndarray, n_items: int, seen_keys: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Per entry of ``users`` (indices) a uniform item index whose ``user * n_items + item`` is
    not in the sorted ``seen_keys`` (redrawn up to 100 times for users who saw nearly all)."""
    items = rng.integers(0, n_items, size=len(users))
    todo = np.arange(len(users))
    for _ in range(100):
        keys = users[todo] * n_items + items[todo]
        found = seen_keys[np.minimum(np.searchsorted(seen_keys, keys), len(seen_keys) - 1)]
        todo = todo[found == keys]
        if not len(todo):
            break
        items[todo] = rng.integers(0, n_items, size=len(todo))
    return items


def rating_frame(data: TrainingData, config: SVDConfig) -> pd.DataFrame:
    """``user_id, item_id, rating, positive`` rows to train on, for the configured feedback;
    ``positive`` is False only for the sampled negatives."""
    mode = config.feedback_for(data)
    ratings = data.ratings[["user_id", "item_id", "rating"]].reset_index(drop=True)
    if mode == "ratings":
        return ratings.assign(positive=True)
    pairs = interaction_confidence(data)
    if not len(pairs):
        return ratings.assign(positive=True)
    positives = pd.DataFrame({
        "user_id": pairs["user_id"].to_numpy(np.int64), "item_id": pairs["item_id"].to_numpy(np.int64),
        "rating": implicit_target(pairs["confidence"].to_numpy(), config.rating_scale),
    })  # fmt: skip
    if mode == "both" and len(ratings):
        rated = pd.MultiIndex.from_frame(ratings[["user_id", "item_id"]])
        played_only = ~pd.MultiIndex.from_frame(positives[["user_id", "item_id"]]).isin(rated)
        positives = pd.concat([ratings, positives.loc[played_only]], ignore_index=True)
    frame = positives.assign(positive=True)
    if not config.negatives:
        return frame
    users, user_ids = pd.factorize(frame["user_id"])
    items, item_ids = pd.factorize(frame["item_id"])
    seen = np.unique(users.astype(np.int64) * len(item_ids) + items)
    negative_users = np.repeat(users.astype(np.int64), config.negatives)
    rng = np.random.default_rng([config.seed, 17])
    negative_items = sample_unseen(negative_users, len(item_ids), seen, rng)
    negatives = pd.DataFrame({
        "user_id": user_ids.to_numpy()[negative_users], "item_id": item_ids.to_numpy()[negative_items],
        "rating": config.rating_scale[0], "positive": False,
    })  # fmt: skip
    # Two draws of the same unseen item for a user are one negative.
    negatives = negatives.drop_duplicates(["user_id", "item_id"])
    return pd.concat([frame, negatives], ignore_index=True)


def surprise_dataset(frame: pd.DataFrame, config: SVDConfig) -> Dataset:
    """A surprise ``Dataset`` over ``user_id, item_id, rating`` rows."""
    return Dataset.load_from_df(
        frame[["user_id", "item_id", "rating"]], Reader(rating_scale=config.rating_scale)
    )


def build_trainset(frame: pd.DataFrame, config: SVDConfig) -> Trainset:
    """The surprise ``Trainset`` that ``Dataset.load_from_df(...).build_full_trainset()`` gives
    (same inner ids, same rating order, hence the same model), built from the columns directly.
    """
    users, user_ids = pd.factorize(frame["user_id"])
    items, item_ids = pd.factorize(frame["item_id"])
    ratings = frame["rating"].to_numpy(dtype=np.float64)
    by_user, by_item = defaultdict(list), defaultdict(list)
    for user, item, rating in zip(users.tolist(), items.tolist(), ratings.tolist(), strict=True):
        by_user[user].append((item, rating))
        by_item[item].append((user, rating))
    user_map = dict(zip(user_ids.tolist(), range(len(user_ids)), strict=True))
    item_map = dict(zip(item_ids.tolist(), range(len(item_ids)), strict=True))
    return Trainset(by_user, by_item, len(user_ids), len(item_ids), len(ratings),
                    config.rating_scale, user_map, item_map)  # fmt: skip


class SVDEngine(Engine):
    """Biased (or plain) matrix factorisation trained by surprise's SGD."""

    name = "svd"
    config_class = SVDConfig
    config: SVDConfig

    def fit(self, data: TrainingData) -> Self:
        """Train surprise's SVD on the ratings and/or the plays (see ``SVDConfig.feedback``)."""
        self.feedback = self.config.feedback_for(data)
        frame = rating_frame(data, self.config)
        if not len(frame):
            raise ValueError(f"svd ({self.feedback} feedback) needs at least one rating or play")
        trainset = build_trainset(frame, self.config)
        self.algo = SVD(**self.config.surprise_params(self.feedback)).fit(trainset)
        self._users = pd.Index(frame["user_id"].unique())  # inner id order
        self._items = pd.Index(frame["item_id"].unique())
        self.global_mean = float(trainset.global_mean)
        self.bu, self.bi = np.asarray(self.algo.bu), np.asarray(self.algo.bi)
        self.pu, self.qi = np.asarray(self.algo.pu), np.asarray(self.algo.qi)
        positives = frame.loc[frame["positive"].to_numpy()]  # sampled negatives stay candidates
        users = self._users.get_indexer(positives["user_id"])
        items = self._items.get_indexer(positives["item_id"])
        ones = np.ones(len(positives), dtype=np.int8)
        shape = (len(self._users), len(self._items))
        self._rated = sparse.csr_matrix((ones, (users, items)), shape=shape)
        self._build_index()
        self.fitted = True
        return self

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        """Predicted ratings, clipped to the rating scale; NaN for unknown items.

        An unknown user gets the bias-only estimate (global mean + item bias) like surprise,
        or NaN when the model is not biased. A model trained with implicit targets returns
        unclipped scores, so the best items do not tie at the top of the scale.
        """
        self._check_fitted()
        items = self._items.get_indexer(np.asarray(item_ids))
        known = items >= 0
        items = items[known]
        user = self._user_index(context)
        estimate = np.full(len(known), np.nan)
        if self.config.biased:
            values = self.global_mean + self.bi[items]
            if user >= 0:
                values = values + self.bu[user] + self.qi[items] @ self.pu[user]
            estimate[known] = values
        elif user >= 0:
            estimate[known] = self.qi[items] @ self.pu[user]
        if self.feedback != "ratings":
            return estimate
        return np.clip(estimate, *self.config.rating_scale)

    def known_items(self) -> np.ndarray:
        """Every item id seen in training."""
        return self._items.to_numpy(dtype=np.int64)

    def candidates(self, context: UserContext) -> np.ndarray:
        """Items the user has not rated; none for an unknown user.

        A cold-start user has no factors: a bias-only list would only repeat the best-rated
        tracks, so the engine leaves them to the demographic and popularity fallbacks.
        """
        user = self._user_index(context)
        items = self.known_items()
        if user < 0:
            return items[:0]
        rated = self._rated.indices[self._rated.indptr[user] : self._rated.indptr[user + 1]]
        if self._index.approximate:
            query = np.append(self.pu[user], 1.0) if self.config.biased else self.pu[user]
            return items[self._index.top(query, self.config.retrieval_candidates, exclude=rated)]
        mask = np.ones(len(items), dtype=bool)
        mask[rated] = False
        return items[mask]

    def _build_index(self) -> None:
        # A user's ranking is by bi + qi·pu (biased) or qi·pu: an inner product either way.
        vectors = np.column_stack([self.qi, self.bi]) if self.config.biased else self.qi
        self._index = InnerProductIndex(vectors, exact_below=self.config.exact_retrieval_below)

    def similar_items(self, item_id: int, k: int) -> ScoredItems:
        """Items whose factor vectors have the highest cosine similarity to ``item_id``'s."""
        index = self._items.get_indexer([item_id])[0]
        if index < 0 or k <= 0:
            return ScoredItems.empty()
        norms = np.linalg.norm(self.qi, axis=1)
        similarity = (self.qi @ self.qi[index]) / np.maximum(norms * norms[index], 1e-12)
        similarity[index] = -np.inf
        top = top_k_indices(similarity, min(k, len(similarity) - 1))
        return ScoredItems(self.known_items()[top], similarity[top])

    def _user_index(self, context: UserContext) -> int:
        if context.user_id is None:
            return -1
        return int(self._users.get_indexer([context.user_id])[0])

    def dumps(self) -> bytes:
        """Config, metrics, the feedback mode, ids, biases, factors and the rated pairs, as data."""
        self._check_fitted()
        arrays = {
            "users": self._users.to_numpy(dtype=np.int64), "items": self.known_items(),
            "global_mean": np.float64(self.global_mean), "bu": self.bu, "bi": self.bi,
            "pu": self.pu, "qi": self.qi, **pack_csr("rated", self._rated),
        }  # fmt: skip
        return pack_engine(self, arrays, feedback=self.feedback)

    @classmethod
    def loads(cls, blob: bytes) -> Self:
        """Inverse of :meth:`dumps` (without surprise's model: ``algo`` is None); ``TypeError``
        for anything but an svd artifact."""
        engine, meta, arrays = unpack_engine(cls, blob)
        try:
            engine.feedback = str(meta["feedback"])
            engine._users, engine._items = pd.Index(arrays["users"]), pd.Index(arrays["items"])
            engine.global_mean = float(arrays["global_mean"])
            engine.bu, engine.bi, engine.pu, engine.qi = (arrays[n] for n in ("bu", "bi", "pu", "qi"))
            engine._rated = unpack_csr(arrays, "rated")
        except KeyError as missing:
            raise TypeError(f"incomplete {cls.name} artifact: no {missing}") from None
        engine.algo = None
        engine._build_index()
        engine.fitted = True
        return engine


# The original product's search: learning rate, epochs and regularisation.
DEFAULT_TUNE_GRID = {"lr_all": [0.001, 0.005, 0.01], "n_epochs": [5, 10, 20], "reg_all": [0.02, 0.1, 0.4]}


def tune(
    data: TrainingData,
    param_grid: dict[str, list[Any]] | None = None,
    cv: int = 3,
    config: SVDConfig | dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Grid-search SVD hyper-parameters with surprise's ``GridSearchCV`` (seeded folds).

    ``param_grid`` maps :class:`SVDConfig` fields to candidate values (None:
    :data:`DEFAULT_TUNE_GRID`); fields not in the
    grid come from ``config``; ``feedback="auto"`` means the ratings here (RMSE measures
    predicted ratings). Returns ``{"params", "rmse", "mae"}`` for the lowest RMSE,
    with the MAE of that same candidate.
    """
    if not isinstance(config, SVDConfig):
        config = SVDConfig.from_dict(config)
    param_grid = DEFAULT_TUNE_GRID if param_grid is None else param_grid
    if config.feedback == "auto":
        config = replace(config, feedback="ratings")
    unknown = set(param_grid) - set(_SURPRISE_PARAMS)
    if unknown:
        raise ValueError(f"cannot tune {sorted(unknown)}; tunable: {list(_SURPRISE_PARAMS)}")
    grid = {name: [value] for name, value in config.surprise_params().items()}
    grid |= {name: list(values) for name, values in param_grid.items()}
    folds = KFold(n_splits=cv, random_state=config.seed, shuffle=True)
    search = GridSearchCV(SVD, grid, measures=["rmse", "mae"], cv=folds, n_jobs=1)
    search.fit(surprise_dataset(rating_frame(data, config), config))
    best = search.best_index["rmse"]
    params = {name: search.best_params["rmse"][name] for name in param_grid}
    return {
        "params": params,
        "rmse": float(search.cv_results["mean_test_rmse"][best]),
        "mae": float(search.cv_results["mean_test_mae"][best]),
    }
