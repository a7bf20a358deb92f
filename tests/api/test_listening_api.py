"""myListening, listening and setTimeZone over GraphQL: named ranges, pages, time zones, errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from api.pagination import encode_cursor
from domain.catalog.tables import Track
from domain.db import create_db_engine
from domain.jobs.queues import inprocess_runner
from domain.stats import listening
from jobs.listening_stats import update_listening_rollups
from tests.support.accounts import sign_in, user_with_token
from tests.support.activity import add_plays, at, seed_activity
from tests.support.graphql import error_codes, graphql_client
from tests.support.settings import make_settings

NOW = datetime(2024, 11, 6, 12, 0, tzinfo=UTC)  # a Wednesday

MINE = """query($range: StatsRange!, $first: Int, $after: String) {
  myListening(range: $range) { range from to timeZone granularity asOf plays
    topTracks(first: $first, after: $after) { edges { cursor node { plays track { name } } }
                                              pageInfo { hasNextPage endCursor } totalCount }
    topArtists(first: 5) { edges { node { plays artist { name } } } }
    topGenres { edges { node { genre plays } } }
    activity { start plays } heatmap eras { year plays } genreHours { genre hours }
    newArtists { edges { node { firstDay artist { name } } } totalCount } } }"""
OVERALL = """query($range: StatsRange!) { listening(range: $range) { from to timeZone granularity plays
  activity { start plays } topTracks { edges { node { plays track { name } } } } } }"""
SET_ZONE = "mutation($tz: String!) { setTimeZone(timeZone: $tz) { nickname timeZone } }"
ME = "{ me { timeZone } }"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(listening, "utcnow", lambda: NOW)


def _seed(db_url):
    """ana's plays: three this week, one last week, one in 2023 (tracks 1 and 3 have release years)."""
    engine = create_db_engine(db_url)
    (t1, t2, t3, _, t5), (ana, bo, _) = seed_activity(engine)
    with engine.begin() as conn:
        conn.execute(sa.update(Track).where(Track.id == t1).values(release_date="1999-04-01"))
        conn.execute(sa.update(Track).where(Track.id == t3).values(release_date="2021"))
    add_plays(engine, [(ana, t1, at("2024-11-05 10:00")), (ana, t1, at("2024-11-05 23:30")),
                       (ana, t3, at("2024-11-06 01:00")), (ana, t2, at("2024-10-30 12:00")),
                       (ana, t5, at("2023-06-01 08:00")), (bo, t5, at("2024-11-06 11:00"))])
    update_listening_rollups(database_url=db_url)
    token = sign_in(engine, ana)
    engine.dispose()
    return token


def _cells(heatmap):
    return {(d, h): n for d, row in enumerate(heatmap) for h, n in enumerate(row) if n}


def test_my_listening_this_week_with_pages(db_url, tmp_path):
    token = _seed(db_url)
    with graphql_client(make_settings(db_url, tmp_path)) as client:
        week = client.gql(MINE, token=token, range="THIS_WEEK", first=1)["data"]["myListening"]
        rest = client.gql(MINE, token=token, range="THIS_WEEK", first=1,
                          after=week["topTracks"]["pageInfo"]["endCursor"])["data"]["myListening"]
        all_time = client.gql(MINE, token=token, range="ALL_TIME")["data"]["myListening"]
        last_year = client.gql(MINE, token=token, range="YEAR")["data"]["myListening"]
    assert (week["range"], week["from"], week["to"], week["timeZone"], week["granularity"], week["plays"]) == (
        "THIS_WEEK", "2024-11-04", "2024-11-06", "UTC", "DAY", 3)
    assert week["asOf"]
    tracks = week["topTracks"]
    assert [e["node"] for e in tracks["edges"]] == [{"plays": 2, "track": {"name": "Song 1"}}]
    assert tracks["pageInfo"]["hasNextPage"] and tracks["totalCount"] == 2
    assert [e["node"] for e in rest["topTracks"]["edges"]] == [{"plays": 1, "track": {"name": "Song 3"}}]
    assert rest["topTracks"]["pageInfo"]["hasNextPage"] is False
    assert [e["node"] for e in week["topArtists"]["edges"]] == [{"plays": 2, "artist": {"name": "Artist 0"}},
                                                                 {"plays": 1, "artist": {"name": "Artist 1"}}]
    assert [e["node"] for e in week["topGenres"]["edges"]] == [{"genre": "pop", "plays": 2},
                                                                {"genre": "rock", "plays": 1}]
    assert week["activity"] == [{"start": "2024-11-04", "plays": 0}, {"start": "2024-11-05", "plays": 2},
                                {"start": "2024-11-06", "plays": 1}]
    assert _cells(week["heatmap"]) == {(1, 10): 1, (1, 23): 1, (2, 1): 1}
    assert week["eras"] == [{"year": 1999, "plays": 2}, {"year": 2021, "plays": 1}]
    pop = next(g for g in week["genreHours"] if g["genre"] == "pop")["hours"]
    assert (pop[10], pop[23], sum(pop)) == (1, 1, 2)
    # Artist 0 was first played last week (Song 2); Artist 1 is new this week
    assert [e["node"] for e in week["newArtists"]["edges"]] == [{"firstDay": "2024-11-06",
                                                                 "artist": {"name": "Artist 1"}}]
    assert (all_time["from"], all_time["to"], all_time["granularity"], all_time["plays"]) == (
        "2023-06-01", "2024-11-06", "YEAR", 5)
    assert all_time["activity"] == [{"start": "2023-01-01", "plays": 1}, {"start": "2024-01-01", "plays": 4}]
    assert all_time["newArtists"]["totalCount"] == 3
    assert (last_year["from"], last_year["to"], last_year["granularity"], last_year["plays"]) == (
        "2023-01-01", "2023-12-31", "MONTH", 1)
    assert [a["plays"] for a in last_year["activity"]] == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]


def test_a_new_time_zone_moves_days_and_hours(db_url, tmp_path):
    token = _seed(db_url)
    with graphql_client(make_settings(db_url, tmp_path)) as client:
        changed = client.gql(SET_ZONE, token=token, tz="Asia/Seoul")["data"]["setTimeZone"]
        me = client.gql(ME, token=token)["data"]["me"]
        week = client.gql(MINE, token=token, range="THIS_WEEK")["data"]["myListening"]
        overall = client.gql(OVERALL, range="THIS_WEEK")["data"]["listening"]
    assert changed == {"nickname": "ana", "timeZone": "Asia/Seoul"} and me == {"timeZone": "Asia/Seoul"}
    assert (week["timeZone"], week["from"], week["to"], week["plays"]) == ("Asia/Seoul", "2024-11-04",
                                                                           "2024-11-06", 3)
    assert [a["plays"] for a in week["activity"]] == [0, 1, 2]  # 23:30 UTC is 08:30 the next day in Seoul
    assert _cells(week["heatmap"]) == {(1, 19): 1, (2, 8): 1, (2, 10): 1}
    # the whole service counts UTC days, whatever a listener's zone
    assert (overall["timeZone"], overall["plays"], [a["plays"] for a in overall["activity"]]) == ("UTC", 4, [0, 2, 2])
    assert [e["node"]["track"]["name"] for e in overall["topTracks"]["edges"]] == ["Song 1", "Song 3", "Song 5"]


def test_errors(sqlite_url, tmp_path):
    engine = create_db_engine(sqlite_url)
    _, token = user_with_token(engine, "dora")
    engine.dispose()
    deep = """{ listening(range: ALL_TIME) { topTracks(first: 100) { edges { node { track {
      artists { tracks(first: 100) { edges { node { name } } } } } } } } } }"""
    with graphql_client(make_settings(sqlite_url, tmp_path)) as client:
        assert error_codes(client.gql(MINE, range="WEEK")) == ["UNAUTHENTICATED"]
        assert error_codes(client.gql(SET_ZONE, tz="Asia/Seoul")) == ["UNAUTHENTICATED"]
        for bad in ("Mars/Olympus", "", "../../etc/passwd", "asia/seoul"):
            assert error_codes(client.gql(SET_ZONE, token=token, tz=bad)) == ["BAD_USER_INPUT"], bad
        assert client.gql(ME, token=token)["data"]["me"] == {"timeZone": "UTC"}
        assert error_codes(client.gql(MINE, token=token, range="WEEK", after="not-a-cursor")) == ["BAD_USER_INPUT"]
        assert error_codes(client.gql(MINE, token=token, range="WEEK", first=0)) == ["BAD_USER_INPUT"]
        bad_day = "query($a: String) { listening(range: WEEK) { newArtists(after: $a) { totalCount } } }"
        assert error_codes(client.gql(bad_day, a=encode_cursor("2024-13-45", 1))) == ["BAD_USER_INPUT"]
        assert error_codes(client.gql(deep)) == ["QUERY_TOO_COMPLEX"]
        empty = client.gql(MINE, token=token, range="ALL_TIME")["data"]["myListening"]
    assert (empty["plays"], empty["from"], empty["to"], empty["asOf"]) == (0, "2024-11-06", "2024-11-06", None)
    assert empty["heatmap"] == [[0] * 24] * 7 and empty["topTracks"]["edges"] == []


def test_admins_run_the_rollups_now(sqlite_url, tmp_path):
    engine = create_db_engine(sqlite_url)
    _, admin = user_with_token(engine, "root", admin=True)
    engine.dispose()
    run = "mutation($day: Date) { runAggregation(kind: LISTENING_ROLLUPS, day: $day) { id name } }"
    with graphql_client(make_settings(sqlite_url, tmp_path)) as client:
        job = client.gql(run, token=admin)["data"]["runAggregation"]
        assert job["name"] == "jobs.listening_stats.update_listening_rollups"
        inprocess_runner().wait(timeout=30)
        assert error_codes(client.gql(run, token=admin, day="2024-05-01")) == ["BAD_USER_INPUT"]


def test_the_whole_service_figures_are_read_once_per_as_of(db_url, tmp_path):
    _seed(db_url)
    with graphql_client(make_settings(db_url, tmp_path)) as client:
        statements: list[str] = []
        engine = client.client.app.state.engine
        sa.event.listen(engine, "before_cursor_execute", lambda conn, cursor, statement, *rest: statements.append(statement))
        first = client.gql(OVERALL, range="ALL_TIME")["data"]["listening"]
        cold = len(statements)
        assert client.gql(OVERALL, range="ALL_TIME")["data"]["listening"] == first
        warm = len(statements) - cold
        # only the window's own lookups (the watermark, the first and last day) run again
        recomputed = [s for s in statements[cold:] if "overall_listening_rollup" in s and "min(" not in s]
        assert not recomputed, recomputed
        assert warm < cold
        db = create_db_engine(db_url)
        with db.connect() as conn:
            track, user = conn.execute(sa.text("select track_id, user_id from play_event limit 1")).one()
        add_plays(db, [(user, track, at("2024-11-06 11:30"))])
        db.dispose()
        update_listening_rollups(database_url=db_url)
        again = client.gql(OVERALL, range="ALL_TIME")["data"]["listening"]
        assert again["plays"] == first["plays"] + 1
