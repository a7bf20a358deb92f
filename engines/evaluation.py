"""Offline evaluation of engines and weighted mixes (``hz45 evaluate``, SPEC §4 and §8).

- ``rmse``: seeded k-fold RMSE/MAE of predicted ratings.
- ``hr``: leave-one-out HR@K / NDCG@K (log2 discount); each user's last interaction is
  ranked against 99 negatives (the dataset's fixed negatives, else seeded samples).
- ``genre``: genre coherence@K of an item-to-item engine.

With ``hr``, three measures of the recommended lists come too. The list of a user is the top K
of its 1 + 99 candidates by the model's scores; candidates the model cannot score (NaN) are
never recommended, so a list may be shorter than K, and a tie ranks the held-out item last (as
in HR). Over the evaluated users:

- ``coverage`` (catalog coverage@K): the share of the catalog that is in at least one list,
  where the catalog is every item id of the split (the training plays and ratings,
  ``data.items`` and every candidate). U users' lists cover at most ``U * K`` items.
- ``novelty``: the mean self-information ``-log2((n_i + 1) / (n_users + 1))`` bits over every
  (user, recommended item) pair, where ``n_i`` is the number of training users who played or
  rated item ``i`` and ``n_users`` the number of training users with any play or rating (the
  +1 keeps items nobody played finite: they get the most, ``log2(n_users + 1)``).
- ``diversity`` (intra-list artist diversity): per list, distinct artists / recommended items
  with a known artist, averaged over lists with at least one; artists come from the
  ``artist_id`` column of ``data.items``, else ``artists`` (a credit string such as ``A;B`` is
  one artist). Null when ``data.items`` has neither.

They are null for ``rmse`` and ``genre``. :func:`evaluate_candidates` runs every candidate on
several seeds: per seed the split is computed once and the same folds (the same
:class:`~engines.base.TrainingData` objects) go to every candidate, so fitted engines can be
shared between candidates; a seed changes the split (held-out ties and negatives, rating
folds, genre seed tracks); the caller's ``on_seed`` hook seeds the engines. Rows report the mean over
seeds, the sample standard deviation (``*_sd``, null for one seed) and the mean seconds per
seed. Progress goes to the ``hz45.engines.evaluation`` logger at INFO.

Anything with ``fit(TrainingData)`` and ``score(UserContext, item_ids)`` can be evaluated:
an engine, or the hook-driven engines and mixes of :mod:`plugins.offline` (which use the
serving mixer, so a mix is evaluated exactly as it is served).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

import numpy as np
import pandas as pd

from engines.base import TrainingData, UserContext, top_k_indices
from engines.datasets import HeldOut, LoadedDataset
from engines.feedback import interaction_confidence

RECENT_ITEMS = 10  # how many latest training interactions go into UserContext.recent_item_ids
METRICS = ("rmse", "mae", "hr", "ndcg", "genre", "coverage", "novelty", "diversity")
ARTIST_COLUMNS = ("artist_id", "artists")  # the first of them in data.items names an item's artist
PROGRESS_STEPS = 10  # ranking logs a line every tenth of the users
NOBODY_HELD_OUT = "no held-out user to rank (each needs 2+ interactions and enough unseen items)"

log = logging.getLogger("hz45.engines.evaluation")


class Scorer(Protocol):
    """What evaluation needs of a model: an :class:`~engines.base.Engine`, or a mix."""

    def fit(self, data: TrainingData) -> Any: ...

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray: ...


ScorerFactory = Callable[[], Scorer]


def rank_metrics(ranks: np.ndarray, k: int) -> tuple[float, float]:
    """``(HR@k, NDCG@k)`` from 0-based ranks of the held-out item (rank r+1 scores 1/log2(r+2))."""
    ranks = np.asarray(ranks)
    if not len(ranks):
        raise ValueError(NOBODY_HELD_OUT)
    hits = ranks < k
    gains = np.where(hits, 1.0 / np.log2(ranks + 2.0), 0.0)
    return float(hits.mean()), float(gains.mean())


def positive_rank(scores: np.ndarray) -> int:
    """0-based rank of ``scores[0]`` among ``scores``; ties and NaN count against it."""
    scores = np.where(np.isnan(scores), -np.inf, scores)
    return int(np.count_nonzero(scores[1:] >= scores[0]))


def interactions(data: TrainingData) -> pd.DataFrame:
    """``user_id, item_id, timestamp``: the ratings, or the plays when there are no ratings;
    one row per pair, with its latest timestamp."""
    frame = data.ratings if len(data.ratings) else data.plays
    frame = frame[["user_id", "item_id", "timestamp"]]
    return frame.groupby(["user_id", "item_id"], as_index=False, sort=False)["timestamp"].max()


def _without_pairs(frame: pd.DataFrame, users: np.ndarray, items: np.ndarray) -> pd.DataFrame:
    if not len(frame):
        return frame
    drop = pd.MultiIndex.from_arrays([frame["user_id"], frame["item_id"]]).isin(
        pd.MultiIndex.from_arrays([users, items])
    )
    return frame.loc[~drop].reset_index(drop=True)


def _train_without(data: TrainingData, users: np.ndarray, items: np.ndarray) -> TrainingData:
    """``data`` minus every rating and play of the given (user, item) pairs."""
    return TrainingData(
        ratings=_without_pairs(data.ratings, users, items),
        plays=_without_pairs(data.plays, users, items),
        users=data.users,
        items=data.items,
    )


def leave_one_out(
    data: TrainingData, n_negatives: int = 99, seed: int = 0
) -> tuple[TrainingData, HeldOut]:
    """Hold out each user's last interaction (ties broken at random) with sampled negatives.

    Negatives are drawn without replacement, with ``seed``, among the items (interacted with
    by anyone, or listed in ``data.items``) the user never interacted with. Users with a single
    interaction, or too few unseen items, stay in training.
    """
    rng = np.random.default_rng(seed)
    pairs = interactions(data)
    pairs = pairs.assign(_tie=rng.random(len(pairs))).sort_values(["user_id", "timestamp", "_tie"])
    counts = pairs.groupby("user_id", sort=False)["item_id"].transform("size")
    last = pairs.loc[(counts > 1) & ~pairs.duplicated("user_id", keep="last")]
    all_items = np.union1d(pairs["item_id"].to_numpy(), data.items["item_id"].to_numpy()).astype(
        np.int64
    )
    seen = pairs.groupby("user_id", sort=False)["item_id"].agg(np.asarray)
    user_ids, positives, negatives = [], [], []
    for user, positive in zip(last["user_id"].to_numpy(), last["item_id"].to_numpy(), strict=True):
        pool = np.setdiff1d(all_items, seen[user], assume_unique=True)
        if len(pool) < n_negatives:
            continue
        user_ids.append(user)
        positives.append(positive)
        negatives.append(rng.choice(pool, size=n_negatives, replace=False))
    held_out = HeldOut(
        np.asarray(user_ids, dtype=np.int64),
        np.asarray(positives, dtype=np.int64),
        np.asarray(negatives, dtype=np.int64).reshape(len(user_ids), n_negatives),
    )
    return _train_without(data, held_out.user_ids, held_out.positives), held_out


def context_builder(
    data: TrainingData, history: pd.DataFrame | None = None
) -> Callable[[int], UserContext]:
    """``user_id -> UserContext`` as serving builds it, from the training data alone.

    Demographics; ``recent_item_ids``, the latest training interactions (:data:`RECENT_ITEMS`);
    and ``history_item_ids`` / ``history_weights``, every training pair of the user with its
    confidence from :func:`~engines.feedback.interaction_confidence` (``history``, when the
    caller has computed it already).
    """
    demographics: dict[int, tuple[Any, Any]] = {}
    for row in data.users.itertuples(index=False):
        age = None if pd.isna(row.age_group) else int(row.age_group)
        gender = None if pd.isna(row.gender) else row.gender
        demographics[int(row.user_id)] = (age, gender)
    pairs = interactions(data).sort_values(
        ["user_id", "timestamp"], ascending=[True, False], kind="stable"
    )
    recent = pairs.groupby("user_id", sort=False).head(RECENT_ITEMS)
    recent_items = recent.groupby("user_id", sort=False)["item_id"].agg(tuple).to_dict()
    history = interaction_confidence(data) if history is None else history
    order = np.argsort(history["user_id"].to_numpy(np.int64), kind="stable")
    history_users = history["user_id"].to_numpy(np.int64)[order]
    history_items = history["item_id"].to_numpy(np.int64)[order]
    history_weights = history["confidence"].to_numpy(np.float64)[order]

    def build(user_id: int) -> UserContext:
        age, gender = demographics.get(int(user_id), (None, None))
        recent_ids = tuple(int(i) for i in recent_items.get(user_id, ()))
        start, stop = np.searchsorted(history_users, [user_id, user_id + 1])
        return UserContext(
            user_id=int(user_id),
            age_group=age,
            gender=gender,
            recent_item_ids=recent_ids,
            history_item_ids=tuple(history_items[start:stop].tolist()),
            history_weights=tuple(history_weights[start:stop].tolist()),
        )

    return build


@dataclass(eq=False)
class Fold:
    """One train/test split: ``test`` is a :class:`HeldOut` (hr), the held-out ratings (rmse)
    or None (genre). Every candidate gets this very ``train`` object."""

    train: TrainingData
    test: HeldOut | pd.DataFrame | None = None

    @cached_property
    def history(self) -> pd.DataFrame:
        """Every training (user, item) pair with its confidence."""
        return interaction_confidence(self.train)

    @cached_property
    def contexts(self) -> Callable[[int], UserContext]:
        """The :func:`context_builder` of the training data."""
        return context_builder(self.train, self.history)


def rating_folds(data: TrainingData, folds: int = 5, seed: int = 0) -> list[Fold]:
    """Seeded k-fold split of the ratings; each fold's training data also lacks the plays of
    its test pairs."""
    ratings = data.ratings.reset_index(drop=True)
    if len(ratings) < folds:
        raise ValueError("rmse needs explicit ratings (at least one per fold)")
    fold_of_row = np.empty(len(ratings), dtype=np.int64)
    fold_of_row[np.random.default_rng(seed).permutation(len(ratings))] = (
        np.arange(len(ratings)) % folds
    )
    split = []
    for fold in range(folds):
        test = ratings.loc[fold_of_row == fold]
        train = TrainingData(
            ratings=ratings.loc[fold_of_row != fold].reset_index(drop=True),
            plays=_without_pairs(
                data.plays, test["user_id"].to_numpy(), test["item_id"].to_numpy()
            ),
            users=data.users,
            items=data.items,
        )
        split.append(Fold(train, test))
    return split


def split_dataset(
    dataset: LoadedDataset, metric: str, folds: int = 5, seed: int = 0, n_negatives: int = 99
) -> list[Fold]:
    """The folds of one seed, for every candidate: ``folds`` rating folds (rmse), the
    leave-one-out split, or the dataset's fixed one (hr), or the whole data (genre)."""
    if metric == "rmse":
        split = rating_folds(dataset.data, folds, seed)
    elif metric == "hr":
        if dataset.held_out is not None:
            train, held_out = dataset.data, dataset.held_out
        else:
            train, held_out = leave_one_out(dataset.data, n_negatives, seed)
        if not len(held_out.user_ids):  # fail before any candidate is fitted
            raise ValueError(NOBODY_HELD_OUT)
        split = [Fold(train, held_out)]
    elif metric == "genre":
        return [Fold(dataset.data)]
    else:
        raise ValueError(f"unknown metric {metric!r}; expected rmse, hr or genre")
    for fold in split:
        fold.contexts  # noqa: B018 -- built here once, so no candidate's eval time pays for it
    return split


def recommended(scores: np.ndarray, items: np.ndarray, k: int) -> np.ndarray:
    """The top ``k`` of candidates ``items`` (held-out item first), best first, without
    unscorable ones; a tie ranks the held-out item last, as :func:`positive_rank` does."""
    order = np.r_[1 : len(items), 0]
    scores, items = scores[order], items[order]
    scored = ~np.isnan(scores)
    scores, items = scores[scored], items[scored]
    return items[top_k_indices(scores, k)]


def rank_held_out(
    model: Scorer, fold: Fold, k: int, label: str = "model"
) -> tuple[np.ndarray, np.ndarray]:
    """``(ranks, lists)``: the 0-based rank of each held-out item among its 1 + N candidates,
    and each user's top ``k`` of them (:func:`recommended`; rows padded with -1).

    One ``score`` call per user; a line is logged every tenth of the users.
    """
    held_out = fold.test
    candidates = np.column_stack([held_out.positives, held_out.negatives])
    n_users = len(candidates)
    ranks = np.empty(n_users, dtype=np.int64)
    lists = np.full((n_users, min(k, candidates.shape[1])), -1, dtype=np.int64)
    step = max(1, math.ceil(n_users / PROGRESS_STEPS))
    for row, (user, items) in enumerate(zip(held_out.user_ids, candidates, strict=True)):
        scores = np.asarray(model.score(fold.contexts(user), items), dtype=np.float64)
        ranks[row] = positive_rank(scores)
        top = recommended(scores, items, k)
        lists[row, : len(top)] = top
        if (row + 1) % step == 0 or row + 1 == n_users:
            log.info("%s: ranked %d/%d users (%d%%)", label, row + 1, n_users, 100 * (row + 1) // n_users)
    return ranks, lists


def catalog_coverage(lists: np.ndarray, catalog: np.ndarray) -> float:
    """Share of the ``catalog`` item ids found in at least one of ``lists`` (-1 pads)."""
    return float(len(np.intersect1d(np.unique(lists[lists >= 0]), catalog)) / len(catalog))


def novelty(lists: np.ndarray, history: pd.DataFrame) -> float | None:
    """Mean ``-log2((n_i + 1) / (n_users + 1))`` over the recommended items of ``lists``, with
    ``n_i`` the users of ``history`` (one row per user and item) who have item ``i``."""
    items = lists[lists >= 0]
    if not len(items):
        return None
    users_of_item = history["item_id"].value_counts()
    n_i = users_of_item.reindex(items, fill_value=0).to_numpy(np.float64)
    n_users = history["user_id"].nunique()
    return float(np.mean(-np.log2((n_i + 1.0) / (n_users + 1.0))))


def artist_diversity(lists: np.ndarray, items: pd.DataFrame) -> float | None:
    """Mean over ``lists`` of distinct artists / items with a known artist (lists without one
    are left out); None when ``items`` has no :data:`ARTIST_COLUMNS` column."""
    column = next((c for c in ARTIST_COLUMNS if c in items), None)
    if column is None:
        return None
    artists = items.drop_duplicates("item_id").set_index("item_id")[column].dropna()
    codes = pd.Series(pd.factorize(artists)[0].astype(np.float64), index=artists.index)
    artist_of = np.sort(codes.reindex(lists.ravel()).to_numpy().reshape(lists.shape), axis=1)
    known = ~np.isnan(artist_of)  # sorted rows put unknown (NaN) last
    changes = known[:, 1:] & (artist_of[:, 1:] != artist_of[:, :-1])
    distinct = known[:, :1].sum(axis=1) + changes.sum(axis=1)
    counted = known.sum(axis=1)
    if not counted.any():
        return None
    return float(np.mean(distinct[counted > 0] / counted[counted > 0]))


def list_metrics(lists: np.ndarray, fold: Fold) -> dict[str, float | None]:
    """``coverage``, ``novelty`` and ``diversity`` of the users' top-K ``lists`` (module doc)."""
    held_out = fold.test
    catalog = np.unique(
        np.concatenate([
            fold.history["item_id"].to_numpy(np.int64), fold.train.items["item_id"].to_numpy(np.int64),
            held_out.positives, held_out.negatives.ravel(),
        ])
    )  # fmt: skip
    return {
        "coverage": catalog_coverage(lists, catalog),
        "novelty": novelty(lists, fold.history),
        "diversity": artist_diversity(lists, fold.train.items),
    }


def rating_errors(model: Scorer, fold: Fold) -> np.ndarray:
    """Predicted minus true rating for each test rating of ``fold``.

    A prediction the model cannot make (NaN) falls back to the user's mean training rating,
    or the global one for a user without training ratings.
    """
    test, train = fold.test, fold.train
    predicted = np.empty(len(test))
    items = test["item_id"].to_numpy()
    for user, rows in test.groupby("user_id", sort=False).indices.items():
        predicted[rows] = model.score(fold.contexts(user), items[rows])
    user_mean = test["user_id"].map(train.ratings.groupby("user_id")["rating"].mean())
    fallback = user_mean.fillna(train.ratings["rating"].mean()).to_numpy()
    predicted = np.where(np.isnan(predicted), fallback, predicted)
    return predicted - test["rating"].to_numpy()


def genre_coherence(
    model: Any, data: TrainingData, k: int = 10, n_seeds: int = 1000, seed: int = 0
) -> float:
    """Mean share of each seed item's ``k`` most similar items that share one of its genres.

    ``model`` is fitted and has ``similar_items``; ``data.items`` has ``genres`` (tuples) or
    ``genre``. Seeds are drawn with ``seed``; missing neighbours count as misses.
    """
    items = data.items
    column = items["genres"] if "genres" in items else items["genre"].map(lambda g: (g,))
    genres = dict(zip(items["item_id"].to_numpy(), map(set, column), strict=True))
    ids = items["item_id"].to_numpy()
    seeds = np.random.default_rng(seed).choice(ids, size=min(n_seeds, len(ids)), replace=False)
    shares = []
    for item in seeds:
        similar = model.similar_items(int(item), k).item_ids
        shares.append(sum(bool(genres.get(other, set()) & genres[item]) for other in similar) / k)
    return float(np.mean(shares))


def run(
    make: ScorerFactory, split: list[Fold], metric: str, k: int = 10, seed: int = 0, label: str = "model"
) -> dict[str, Any]:
    """Fit a fresh model on each fold of ``split`` and measure it: every :data:`METRICS` value
    (None where not measured), ``k``, and ``train_seconds`` / ``eval_seconds`` summed over folds."""
    values: dict[str, Any] = dict.fromkeys(METRICS)
    errors, train_seconds, eval_seconds = [], 0.0, 0.0
    for number, fold in enumerate(split, start=1):
        where = f"{label} fold {number}/{len(split)}" if len(split) > 1 else label
        log.info("%s: fitting", where)
        started = time.perf_counter()
        model = make()
        model.fit(fold.train)
        seconds = time.perf_counter() - started
        log.info("%s: fitted in %.2fs", where, seconds)
        train_seconds += seconds
        started = time.perf_counter()
        if metric == "rmse":
            errors.append(rating_errors(model, fold))
        elif metric == "hr":
            ranks, lists = rank_held_out(model, fold, k, where)
            values["hr"], values["ndcg"] = rank_metrics(ranks, k)
            values |= list_metrics(lists, fold)
        else:
            values["genre"] = genre_coherence(model, fold.train, k, seed=seed)
        eval_seconds += time.perf_counter() - started
    if errors:
        error = np.concatenate(errors)
        values["rmse"], values["mae"] = float(np.sqrt(np.mean(error**2))), float(np.mean(np.abs(error)))
    log.info("%s: evaluated in %.2fs", label, eval_seconds)
    return values | {
        "k": None if metric == "rmse" else k,
        "train_seconds": train_seconds,
        "eval_seconds": eval_seconds,
    }


def evaluate(
    model: ScorerFactory | Scorer,
    dataset: LoadedDataset,
    metric: str = "hr",
    k: int = 10,
    folds: int = 5,
    seed: int = 0,
    name: str | None = None,
    n_negatives: int = 99,
) -> dict[str, Any]:
    """Evaluate an engine, a mix, or a factory of either on one seed; raises what it raises.

    Returns ``name, dataset, metric``, every :data:`METRICS` value (None where not measured),
    ``k``, and ``train_seconds`` / ``eval_seconds`` (totals over folds).
    """
    is_instance = hasattr(model, "fit") and not isinstance(model, type)
    make: ScorerFactory = (lambda: model) if is_instance else model
    name = name or getattr(model, "name", None) or getattr(model, "__name__", type(model).__name__)
    split = split_dataset(dataset, metric, folds, seed, n_negatives)
    return {"name": name, "dataset": dataset.kind, "metric": metric} | run(make, split, metric, k, seed, name)


def describe_error(exc: BaseException) -> str:
    """``"ExceptionType: message"`` (the message's first line)."""
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__


def mean_sd(values: Sequence[float | None]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (None for one value); both None when any is None."""
    if not values or any(v is None or not math.isfinite(v) for v in values):
        return None, None
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else None
    return float(np.mean(values)), sd


def summarise(
    name: str, dataset: str, metric: str, k: int, seeds: Sequence[int], runs: Sequence[dict[str, Any]],
    error: str | None = None,
) -> dict[str, Any]:
    """The row of one candidate over its ``runs`` (one per seed): each metric's mean and
    ``<metric>_sd``, ``k``, ``seeds``, mean ``train_seconds`` / ``eval_seconds`` and ``error``
    (then every value is None)."""
    runs = [] if error else runs
    row: dict[str, Any] = {"name": name, "dataset": dataset, "metric": metric}
    for key in METRICS:
        row[key], row[f"{key}_sd"] = mean_sd([r[key] for r in runs])
    return row | {
        "k": None if metric == "rmse" else k,
        "seeds": list(seeds),
        "train_seconds": mean_sd([r["train_seconds"] for r in runs])[0],
        "eval_seconds": mean_sd([r["eval_seconds"] for r in runs])[0],
        "error": error,
    }


def evaluate_candidates(
    candidates: Sequence[tuple[str, ScorerFactory]],
    dataset: LoadedDataset,
    metric: str = "hr",
    k: int = 10,
    folds: int = 5,
    seeds: Sequence[int] = (0,),
    n_negatives: int = 99,
    on_seed: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """One :func:`summarise` row per ``(name, factory)`` candidate, over every seed.

    Per seed the split is made once and its folds go to every candidate in turn. A candidate
    that raises gets a row with ``error`` and is not run again; the others go on. A split that
    cannot be made (no ratings for rmse, nobody to hold out) raises. ``on_seed(seed)`` is
    called before each seed's runs (to seed the engines themselves, not only the split).
    """
    seeds = list(seeds)
    runs: list[list[dict[str, Any]]] = [[] for _ in candidates]
    errors: list[str | None] = [None] * len(candidates)
    for seed in seeds:
        started = time.perf_counter()
        split = split_dataset(dataset, metric, folds, seed, n_negatives)
        log.info("seed %d: split in %.2fs", seed, time.perf_counter() - started)
        if on_seed is not None:
            on_seed(seed)
        for index, (name, make) in enumerate(candidates):
            if errors[index] is not None:
                continue
            label = f"{name} (seed {seed})" if len(seeds) > 1 else name
            try:
                runs[index].append(run(make, split, metric, k, seed, label))
            except Exception as exc:  # one failing candidate must not stop the others
                errors[index] = describe_error(exc)
                log.error("%s failed: %s", label, errors[index], exc_info=log.isEnabledFor(logging.DEBUG))
    return [
        summarise(name, dataset.kind, metric, k, seeds, runs[index], errors[index])
        for index, (name, _) in enumerate(candidates)
    ]
