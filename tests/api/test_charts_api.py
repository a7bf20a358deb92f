"""chart and chartWindows over GraphQL (tracks through the DataLoader, bad input)."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from domain.charts.tables import ChartTop50
from domain.charts.windows import floor_hour
from domain.columns import utcnow
from domain.db import create_db_engine
from jobs.charts import aggregate_charts
from tests.support.activity import add_plays, at, seed_activity
from tests.support.graphql import error_codes, graphql_client
from tests.support.settings import make_settings

CHART = """query($kind: ChartKind!, $at: DateTime, $day: Date, $first: Int) {
  chart(kind: $kind, at: $at, day: $day, first: $first) {
    kind windowStart day entries { rank plays track { id name } } } }"""
WINDOWS = "query($from: DateTime!, $to: DateTime!) { chartWindows(from: $from, to: $to) { windowStart plays tracks } }"


def _seed(db_url):
    engine = create_db_engine(db_url)
    tracks, users = seed_activity(engine)
    now = utcnow()
    add_plays(engine, [(users[0], tracks[1], now), (users[1], tracks[1], now), (users[2], tracks[0], now),
                       (users[0], tracks[2], at("2024-05-01 08:15"))])
    aggregate_charts(database_url=db_url)
    aggregate_charts(full=True, database_url=db_url)  # also builds the old 08:00 window
    with engine.begin() as conn:
        conn.execute(sa.insert(ChartTop50), [
            {"chart_date": date(2024, 5, 1), "rank": r, "track_id": t, "source_playlist": "top50"}
            for r, t in enumerate((tracks[4], tracks[3]), start=1)])
    engine.dispose()
    return tracks


def test_realtime_hourly_and_top50_charts(db_url, tmp_path):
    tracks = _seed(db_url)
    with graphql_client(make_settings(db_url, tmp_path)) as client:
        realtime = client.gql(CHART, kind="REALTIME")["data"]["chart"]
        hourly = client.gql(CHART, kind="HOURLY", at="2024-05-01T08:40:00Z")["data"]["chart"]
        top50 = client.gql(CHART, kind="TOP50", day="2024-05-03", first=1)["data"]["chart"]
    assert realtime["windowStart"].startswith(floor_hour(utcnow()).isoformat()[:13])
    assert [(e["rank"], e["plays"], e["track"]["id"]) for e in realtime["entries"]] == [
        (1, 2, str(tracks[1])), (2, 1, str(tracks[0]))]
    assert hourly["windowStart"].startswith("2024-05-01T08:00:00")
    assert [(e["track"]["name"], e["plays"]) for e in hourly["entries"]] == [("Song 3", 1)]
    assert top50["day"] == "2024-05-01"  # the latest on or before the asked day
    assert [(e["rank"], e["plays"], e["track"]["name"]) for e in top50["entries"]] == [(1, None, "Song 5")]


def test_chart_windows_lists_windows_with_data(db_url, tmp_path):
    _seed(db_url)
    with graphql_client(make_settings(db_url, tmp_path)) as client:
        body = client.gql(WINDOWS, **{"from": "2024-05-01T00:00:00Z", "to": "2024-05-02T00:00:00Z"})
    assert body["data"]["chartWindows"] == [{"windowStart": "2024-05-01T08:00:00+00:00", "plays": 1, "tracks": 1}]


def test_bad_chart_input(sqlite_url, tmp_path):
    far = (utcnow() + timedelta(days=40)).isoformat()
    with graphql_client(make_settings(sqlite_url, tmp_path)) as client:
        assert error_codes(client.gql(CHART, kind="HOURLY")) == ["BAD_USER_INPUT"]
        assert error_codes(client.gql(CHART, kind="REALTIME", first=1000)) == ["BAD_USER_INPUT"]
        assert error_codes(client.gql(WINDOWS, **{"from": "2024-05-02T00:00:00Z", "to": "2024-05-01T00:00:00Z"})) == ["BAD_USER_INPUT"]
        assert error_codes(client.gql(WINDOWS, **{"from": utcnow().isoformat(), "to": far})) == ["BAD_USER_INPUT"]
