"""demographic_popular: a small listening log whose charts per group are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from engines.artifacts import pack, pack_csr, unpack
from engines.base import TrainingData, UserContext
from engines.demographic_popular import DemographicPopular
from tests.engines.engine_contract import EngineContract

DAY = 86_400
NOW = 30 * DAY
USERS = pd.DataFrame(
    {
        "user_id": [1, 2, 3, 4, 5, 6],
        "age_group": [20, 20, 20, 30, 30, 20],
        "gender": ["FEMALE", "FEMALE", "MALE", "MALE", "FEMALE", "OTHER"],
    }
)
# (user, item, plays, days ago)
LOG = [
    (1, 100, 4, 1), (2, 100, 2, 2), (1, 102, 1, 1),  # women 20s: 100 (6), 102 (1)
    (3, 101, 5, 1), (3, 102, 1, 3),                   # men 20s: 101 (5), 102 (1)
    (5, 103, 6, 2),                                   # women 30s: 103
    (4, 104, 1, 1),                                   # men 30s: one play only
    (6, 102, 1, 1),
    (2, 105, 50, 20),                                 # outside the 7-day window
]  # fmt: skip
ITEMS = pd.DataFrame({"item_id": [100, 101, 102, 103, 104, 105, 106], "popularity": [10, 20, 30, 40, 50, 60, 99]})


def play_log(log=LOG) -> pd.DataFrame:
    rows = [(user, item, NOW - days * DAY) for user, item, plays, days in log for _ in range(plays)]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


def fitted(log=LOG, **config) -> DemographicPopular:
    data = TrainingData(plays=play_log(log), users=USERS, items=ITEMS)
    return DemographicPopular({"min_group_plays": 3} | config).fit(data)


class TestDemographicPopularContract(EngineContract):
    def make_engine(self) -> DemographicPopular:
        return DemographicPopular({"min_group_plays": 3})

    def make_data(self) -> TrainingData:
        return TrainingData(plays=play_log(), users=USERS, items=ITEMS)

    def make_context(self, data: TrainingData) -> UserContext:
        return UserContext(user_id=99, age_group=20, gender="FEMALE")


def test_women_in_their_20s_get_their_chart():
    result = fitted().recommend(UserContext(age_group=20, gender="FEMALE"), 5)
    assert list(result.item_ids) == [100, 102]
    assert result.reason == "popular with women in their 20s"
    assert result.scores[0] == pytest.approx(6, abs=1)


def test_men_in_their_20s_get_theirs():
    result = fitted().recommend(UserContext(age_group=20, gender="MALE"), 5)
    assert list(result.item_ids) == [101, 102]
    assert result.reason == "popular with men in their 20s"


def test_thin_group_falls_back_to_the_age_group():
    result = fitted().recommend(UserContext(age_group=30, gender="MALE"), 5)
    assert list(result.item_ids) == [103, 104]
    assert result.reason == "popular with listeners in their 30s"


def test_other_gender_starts_at_the_age_group():
    result = fitted().recommend(UserContext(age_group=20, gender="OTHER"), 1)
    assert list(result.item_ids) == [100]
    assert result.reason == "popular with listeners in their 20s"


def test_unknown_demographics_fall_back_to_overall():
    result = fitted().recommend(UserContext(user_id=42, age_group=60, gender="FEMALE"), 2)
    assert list(result.item_ids) == [100, 103]
    assert result.reason == "popular right now"


def test_demographics_are_looked_up_by_user_id():
    result = fitted().recommend(UserContext(user_id=3), 1)
    assert list(result.item_ids) == [101]


def test_plays_outside_the_window_do_not_count():
    assert 105 not in fitted().candidates(UserContext())
    wide = fitted(window_days=30).recommend(UserContext(), 1)
    assert list(wide.item_ids) == [105]
    ended_earlier = fitted(now=NOW - 15 * DAY).recommend(UserContext(), 1)
    assert list(ended_earlier.item_ids) == [105]


def test_ties_are_broken_by_overall_popularity():
    log = [(1, 100, 2, 1), (1, 101, 2, 1), (3, 101, 5, 1)]
    result = fitted(log, min_group_plays=1).recommend(UserContext(age_group=20, gender="FEMALE"), 2)
    assert list(result.item_ids) == [101, 100]


def test_without_plays_catalog_popularity_is_used():
    result = fitted(log=[]).recommend(UserContext(age_group=20, gender="FEMALE"), 3)
    assert list(result.item_ids) == [106, 105, 104]
    assert result.reason == "popular right now"


def test_without_plays_or_popularity_nothing_is_recommended():
    data = TrainingData(items=ITEMS[["item_id"]])
    engine = DemographicPopular().fit(data)
    assert len(engine.recommend(UserContext(), 5)) == 0
    assert np.isnan(engine.score(UserContext(), np.array([12345]))).all()


def test_a_rating_only_snapshot_counts_its_ratings_as_events():
    ratings = play_log().drop_duplicates(["user_id", "item_id"]).assign(rating=4.0)
    engine = DemographicPopular({"min_group_plays": 1}).fit(TrainingData(ratings=ratings, users=USERS, items=ITEMS))
    result = engine.recommend(UserContext(age_group=20, gender="MALE"), 5)
    assert set(result.item_ids) == {101, 102} and result.reason == "popular with men in their 20s"


@pytest.mark.parametrize(
    "engine",
    [fitted(), fitted(log=[]), fitted(window_days=0.5), fitted(min_group_plays=100)],
    ids=["groups", "popularity-only", "empty-window", "overall-only"],
)
def test_artifact_round_trip_serves_every_level_identically(engine):
    loaded = DemographicPopular.loads(engine.dumps())
    assert loaded.config == engine.config and loaded.metrics == engine.metrics
    np.testing.assert_array_equal(loaded.known_items(), engine.known_items())
    contexts = [UserContext(age_group=20, gender="FEMALE"), UserContext(age_group=20, gender="MALE"),
                UserContext(age_group=30, gender="MALE"), UserContext(age_group=20, gender="OTHER"),
                UserContext(), *(UserContext(user_id=user) for user in [*USERS["user_id"], 99])]  # fmt: skip
    for context in contexts:
        before, after = engine.recommend(context, 10), loaded.recommend(context, 10)
        np.testing.assert_array_equal(after.item_ids, before.item_ids)
        np.testing.assert_array_equal(after.scores, before.scores)
        assert after.reason == before.reason
        np.testing.assert_array_equal(loaded.score(context, engine.known_items()), engine.score(context, engine.known_items()))


def test_unknown_demographics_survive_the_artifact():
    users = pd.DataFrame({"user_id": [1, 2], "age_group": [20, None], "gender": [None, "FEMALE"]})
    engine = DemographicPopular().fit(TrainingData(plays=play_log(), users=users, items=ITEMS))
    assert DemographicPopular.loads(engine.dumps())._users == engine._users == {1: (20, None), 2: (None, "FEMALE")}


def test_an_inconsistent_artifact_is_refused():
    engine = fitted()
    _, arrays = unpack(engine.dumps(), engine.name)
    arrays |= pack_csr("by_age", sparse.csr_matrix((1, 3)))
    with pytest.raises(TypeError, match="inconsistent"):
        DemographicPopular.loads(pack(engine.name, {}, arrays))
    with pytest.raises(TypeError, match="incomplete"):
        DemographicPopular.loads(pack(engine.name, {}, {"ids": np.arange(3)}))

