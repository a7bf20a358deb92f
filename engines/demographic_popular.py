"""Demographic popularity: the most played tracks of the recent window in the user's group.

Without plays (a rating-only snapshot) the ratings are the events counted.

Groups are (age group, gender), then age group alone, then everyone. A level is used when
its users played at least ``min_group_plays`` times in the window. Only ``FEMALE`` and
``MALE`` form gender groups: other genders are few, and a chart of a handful of listeners
would show what those particular people play, so they start at their age group.

The artifact (:mod:`engines.artifacts`) holds the counts as data: overall densely, per age
group and per (age group, gender) as sparse rows, and each known user's demographics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np
import pandas as pd

from engines.artifacts import pack_csr, pack_engine, unpack_csr, unpack_engine
from engines.base import Engine, EngineConfig, TrainingData, UserContext, positions

GENDER_LABELS = {"FEMALE": "women", "MALE": "men"}
OVERALL_REASON = "popular right now"
DAY = 86_400


@dataclass
class DemographicPopularConfig(EngineConfig):
    """Hyper-parameters of :class:`DemographicPopular`.

    ``now`` (epoch seconds) ends the window; by default the latest play in the data.
    """

    window_days: float = 7.0
    now: float | None = None
    min_group_plays: int = 5


class DemographicPopular(Engine):
    """Play counts per (age group, gender) with fallbacks (SPEC §4 ``demographic_popular``).

    A score is the item's plays in the chosen group; ties are broken by overall popularity,
    which adds a fraction below one.
    """

    name = "demographic_popular"
    config_class = DemographicPopularConfig
    config: DemographicPopularConfig

    def fit(self, data: TrainingData) -> Self:
        """Count the window's plays per group over every item in ``items`` and ``plays``
        (a snapshot without plays counts its ratings as the listening events)."""
        plays = data.plays if len(data.plays) or not len(data.ratings) else data.ratings
        plays = plays[["user_id", "item_id", "timestamp"]]
        self._ids = np.union1d(data.items["item_id"], plays["item_id"]).astype(np.int64)
        if len(plays):
            now = plays["timestamp"].max() if self.config.now is None else self.config.now
            since = now - self.config.window_days * DAY
            plays = plays[(plays["timestamp"] > since) & (plays["timestamp"] <= now)]
        users = data.users.drop_duplicates("user_id").assign(
            gender=lambda u: u["gender"].where(u["gender"].isin(GENDER_LABELS.keys()))
        )
        plays = plays.merge(users, on="user_id", how="left")
        plays = plays.assign(row=positions(self._ids, plays["item_id"]))

        self._overall = self._counts(plays["row"])
        if not self._overall.any() and "popularity" in data.items:
            popularity = data.items.dropna(subset=["popularity"])
            self._overall = np.zeros(len(self._ids))
            self._overall[positions(self._ids, popularity["item_id"])] = popularity["popularity"]
        self._set_tiebreak()
        self._by_age = {
            int(age): self._counts(group["row"]) for age, group in plays.groupby("age_group")
        }
        self._by_group = {
            (int(age), gender): self._counts(group["row"])
            for (age, gender), group in plays.groupby(["age_group", "gender"])
        }
        self._users = {
            int(u.user_id): (
                None if pd.isna(u.age_group) else int(u.age_group),
                u.gender if isinstance(u.gender, str) else None,
            )
            for u in users.itertuples()
        }
        self.metrics = {"window_plays": float(len(plays)), "groups": float(len(self._by_group))}
        self.fitted = True
        return self

    def _set_tiebreak(self) -> None:
        self._tiebreak = self._overall / (self._overall.max(initial=0) + 1)

    def _counts(self, rows: pd.Series) -> np.ndarray:
        return np.bincount(rows.to_numpy(np.int64), minlength=len(self._ids)).astype(float)

    def _level(self, context: UserContext) -> tuple[np.ndarray, str]:
        """The most specific level with enough plays, and its reason."""
        self._check_fitted()
        age, gender = context.age_group, context.gender
        if (age is None or gender is None) and context.user_id in self._users:
            known_age, known_gender = self._users[context.user_id]
            age = known_age if age is None else age
            gender = known_gender if gender is None else gender
        enough = self.config.min_group_plays
        counts = self._by_group.get((age, gender))
        if counts is not None and counts.sum() >= enough:
            return counts, f"popular with {GENDER_LABELS[gender]} in their {age}s"
        counts = self._by_age.get(age)
        if counts is not None and counts.sum() >= enough:
            return counts, f"popular with listeners in their {age}s"
        return self._overall, OVERALL_REASON

    def known_items(self) -> np.ndarray:
        """Every item in the catalog or the listening log."""
        self._check_fitted()
        return self._ids.copy()

    def candidates(self, context: UserContext) -> np.ndarray:
        """Items the user's level has played (or, without plays, with catalog popularity)."""
        counts, _ = self._level(context)
        return self._ids[counts > 0]

    def score(self, context: UserContext, item_ids: np.ndarray) -> np.ndarray:
        """Plays in the user's level plus the tie-break; NaN for unknown items."""
        counts, _ = self._level(context)
        rows = positions(self._ids, item_ids)
        return np.where(rows >= 0, counts[rows] + self._tiebreak[rows], np.nan)

    def explain(
        self, context: UserContext, item_ids: np.ndarray
    ) -> tuple[np.ndarray | None, str | None]:
        """The level's reason, e.g. ``"popular with women in their 20s"``."""
        return None, self._level(context)[1]

    # -- artifact --------------------------------------------------------------------
    def dumps(self) -> bytes:
        """Config, metrics, item ids, the counts per level and the users' demographics, as data."""
        self._check_fitted()
        ages, groups = sorted(self._by_age), sorted(self._by_group)
        users = list(self._users.items())
        arrays = {
            "ids": self._ids, "overall": self._overall,
            "ages": np.array(ages, dtype=np.int64), **pack_csr("by_age", self._stack(ages, self._by_age)),
            "group_ages": np.array([age for age, _ in groups], dtype=np.int64),
            "group_genders": np.array([gender for _, gender in groups], dtype=np.str_),
            **pack_csr("by_group", self._stack(groups, self._by_group)),
            "user_ids": np.array([user for user, _ in users], dtype=np.int64),
            # NaN: age unknown; "": gender unknown (or not one that forms a group)
            "user_ages": np.array([np.nan if age is None else age for _, (age, _) in users], dtype=np.float64),
            "user_genders": np.array([gender or "" for _, (_, gender) in users], dtype=np.str_),
        }  # fmt: skip
        return pack_engine(self, arrays)

    @classmethod
    def loads(cls, blob: bytes) -> Self:
        """Inverse of :meth:`dumps`; ``TypeError`` for anything but a demographic_popular artifact."""
        engine, _, arrays = unpack_engine(cls, blob)
        try:
            engine._ids, engine._overall = arrays["ids"], arrays["overall"]
            by_age, by_group = unpack_csr(arrays, "by_age").toarray(), unpack_csr(arrays, "by_group").toarray()
            group_keys = zip(arrays["group_ages"].tolist(), arrays["group_genders"].tolist(), strict=True)
            user_rows = zip(arrays["user_ids"].tolist(), arrays["user_ages"].tolist(),
                            arrays["user_genders"].tolist(), strict=True)  # fmt: skip
            engine._by_age = dict(zip(arrays["ages"].tolist(), by_age, strict=True))
            engine._by_group = dict(zip(group_keys, by_group, strict=True))
            engine._users = {user: (None if np.isnan(age) else int(age), gender or None)
                             for user, age, gender in user_rows}  # fmt: skip
        except (KeyError, ValueError) as error:
            raise TypeError(f"incomplete or inconsistent {cls.name} artifact ({error})") from None
        if not engine._ids.shape == engine._overall.shape == by_age.shape[1:] == by_group.shape[1:]:
            raise TypeError(f"inconsistent {cls.name} artifact: counts do not match its items")
        engine._set_tiebreak()
        engine.fitted = True
        return engine

    def _stack(self, keys: list, counts: dict) -> np.ndarray:
        """The count rows of ``keys``, one row each (no rows: an empty matrix of the item width)."""
        return np.array([counts[key] for key in keys]).reshape(len(keys), len(self._ids))
