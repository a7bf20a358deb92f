"""overallStats and myStats over GraphQL."""

from __future__ import annotations

from domain.db import create_db_engine
from jobs.stats import aggregate_overall_stats, aggregate_user_stats
from tests.support.accounts import sign_in, user_with_token
from tests.support.activity import add_plays, at, seed_activity
from tests.support.graphql import error_codes, graphql_client
from tests.support.settings import make_settings

OVERALL = """query($day: Date) { overallStats(day: $day) { day plays activeUsers users
  usersByAgeGroup { ageGroup users } genderRatio { gender users share } playsByGenre { genre plays }
  topTracks { plays track { name } } topArtists { plays artist { name } } } }"""
MINE = """query($from: Date!, $to: Date!) { myStats(from: $from, to: $to) { from to plays daysActive
  topTracks { plays track { name } } topArtists { plays artist { name } } topGenres { genre plays }
  playsPerWeekday playsPerHour } }"""


def _seed(db_url):
    engine = create_db_engine(db_url)
    (t1, t2, t3, *_), (ana, bo, _) = seed_activity(engine)
    add_plays(engine, [(ana, t1, at("2024-05-01 10:00")), (ana, t1, at("2024-05-02 11:00")),
                       (ana, t3, at("2024-05-02 11:30")), (bo, t2, at("2024-05-02 12:00"))])
    for day in ("2024-05-01", "2024-05-02"):
        aggregate_user_stats(day, database_url=db_url)
    aggregate_overall_stats("2024-05-02", database_url=db_url)
    return engine, ana


def test_overall_stats(db_url, tmp_path):
    engine, _ = _seed(db_url)
    with graphql_client(make_settings(db_url, tmp_path)) as client:
        stats = client.gql(OVERALL, day="2024-05-02")["data"]["overallStats"]
        missing = client.gql(OVERALL, day="2024-04-01")["data"]["overallStats"]
    engine.dispose()
    assert missing is None
    assert (stats["plays"], stats["activeUsers"], stats["users"]) == (3, 0, 3)
    assert stats["usersByAgeGroup"] == [{"ageGroup": 20, "users": 2}, {"ageGroup": 30, "users": 1}]
    assert stats["playsByGenre"] == [{"genre": "pop", "plays": 2}, {"genre": "rock", "plays": 1}]
    assert [(t["track"]["name"], t["plays"]) for t in stats["topTracks"]] == [("Song 1", 1), ("Song 2", 1), ("Song 3", 1)]
    assert stats["topArtists"][0] == {"plays": 2, "artist": {"name": "Artist 0"}}


def test_my_stats_sums_my_days(db_url, tmp_path):
    engine, ana = _seed(db_url)
    token = sign_in(engine, ana)
    engine.dispose()
    with graphql_client(make_settings(db_url, tmp_path)) as client:
        mine = client.gql(MINE, token=token, **{"from": "2024-05-01", "to": "2024-05-31"})["data"]["myStats"]
    assert (mine["plays"], mine["daysActive"]) == (3, 2)
    assert mine["topTracks"] == [{"plays": 2, "track": {"name": "Song 1"}}, {"plays": 1, "track": {"name": "Song 3"}}]
    assert mine["topGenres"] == [{"genre": "pop", "plays": 2}, {"genre": "rock", "plays": 1}]
    assert mine["playsPerWeekday"] == [0, 0, 1, 2, 0, 0, 0]  # 1 May 2024 was a Wednesday
    assert mine["playsPerHour"][10:12] == [1, 2] and sum(mine["playsPerHour"]) == 3


def test_my_stats_needs_a_signed_in_user_and_a_sane_range(sqlite_url, tmp_path):
    engine = create_db_engine(sqlite_url)
    _, token = user_with_token(engine, "dora")
    engine.dispose()
    with graphql_client(make_settings(sqlite_url, tmp_path)) as client:
        assert error_codes(client.gql(MINE, **{"from": "2024-05-01", "to": "2024-05-02"})) == ["UNAUTHENTICATED"]
        assert error_codes(client.gql(MINE, token=token, **{"from": "2024-05-03", "to": "2024-05-02"})) == ["BAD_USER_INPUT"]
        assert error_codes(client.gql(MINE, token=token, **{"from": "2023-01-01", "to": "2024-05-02"})) == ["BAD_USER_INPUT"]
        empty = client.gql(MINE, token=token, **{"from": "2024-05-01", "to": "2024-05-02"})["data"]["myStats"]
    assert (empty["plays"], empty["daysActive"], empty["topTracks"]) == (0, 0, [])
