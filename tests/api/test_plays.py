"""The listening log: recordPlay / recordPlays store PlayEvents and write JSON lines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from domain.columns import utcnow
from domain.plays.event_log import read_events
from domain.plays.tables import PlayEvent
from tests.support.accounts import account_settings, make_user
from tests.support.catalog import load_known_catalog
from tests.support.graphql import error_codes, graphql_client

RECORD = """
mutation($track: ID!, $source: String) {
  recordPlay(trackId: $track, source: $source) { id playedAt source track { id name } }
}
"""
RECORD_MANY = """
mutation($events: [PlayInput!]!) { recordPlays(events: $events) { id playedAt source track { id } } }
"""
EIGHT = "7xX8HM7CGRcfqzWoiaPZs0"  # "eight" by IU and SUGA, k-pop (also listed under pop)
BLUEMING = "4Dr2hJ3EnVh2Aaot6fRwDO"


@pytest.fixture
def app(db_url, db_engine, tmp_path):
    """(client signed in as a man born 1990-01-10, his user id, the event log path)."""
    load_known_catalog(db_engine)
    with graphql_client(account_settings(db_url, tmp_path)) as client:
        user_id, client.token = make_user(db_engine, "jun", birth_date=date(1990, 1, 10), gender="MALE")
        yield client, user_id, tmp_path / "events.jsonl"


def stored(engine) -> list[PlayEvent]:
    with Session(engine) as session:
        return list(session.exec(select(PlayEvent).order_by(PlayEvent.id)).all())


def track_id(client, spotify_id: str) -> str:
    return client.gql("query($id: ID!) { track(id: $id) { id } }", id=spotify_id)["data"]["track"]["id"]


def test_record_play_stores_the_event_and_logs_it(app, db_engine):
    client, user_id, log = app
    before = utcnow()
    body = client.gql(RECORD, track=EIGHT, source="track_page")["data"]["recordPlay"]
    assert body["source"] == "track_page" and body["track"]["name"].startswith("eight")
    played_at = datetime.fromisoformat(body["playedAt"])
    assert before <= played_at <= utcnow()
    [event] = stored(db_engine)
    assert (str(event.id), event.user_id, str(event.track_id), event.source) == (
        body["id"], user_id, body["track"]["id"], "track_page")
    today = utcnow().date()
    age = today.year - 1990 - ((today.month, today.day) < (1, 10))
    artists = client.gql("{ track(id: \"%s\") { artists { id name } } }" % EIGHT)["data"]["track"]["artists"]
    assert [a["name"] for a in artists] == ["IU", "SUGA"]
    assert read_events(log) == [{
        "event_id": event.id, "user_id": user_id, "gender": "MALE", "age_group": age // 10 * 10,
        "track_id": event.track_id, "artists": [{"id": int(a["id"]), "name": a["name"]} for a in artists],
        "genre": "k-pop", "played_at": event.played_at.isoformat().replace("+00:00", "Z"), "source": "track_page",
    }]


def test_age_group_is_taken_at_play_time(app):
    client, _, log = app
    events = [{"trackId": BLUEMING, "playedAt": "2019-12-31T23:00:00Z"},   # 29 years old
              {"trackId": BLUEMING, "playedAt": "2020-01-10T00:00:00+00:00"}]  # 30th birthday
    assert "errors" not in client.gql(RECORD_MANY, events=events)
    assert [(e["age_group"], e["played_at"]) for e in read_events(log)] == [
        (20, "2019-12-31T23:00:00Z"), (30, "2020-01-10T00:00:00Z")]


def test_record_plays_stores_a_batch_in_order(app, db_engine):
    client, _, log = app
    events = [{"trackId": EIGHT, "source": "recommendation:mix-a"},
              {"trackId": track_id(client, BLUEMING), "playedAt": "2024-05-01T09:30:00+09:00"},
              {"trackId": BLUEMING, "playedAt": "2024-05-01T00:00:00"}]  # no offset: UTC
    body = client.gql(RECORD_MANY, events=events)["data"]["recordPlays"]
    assert [e["source"] for e in body] == ["recommendation:mix-a", None, None]
    rows = stored(db_engine)
    assert [r.played_at for r in rows[1:]] == [datetime(2024, 5, 1, 0, 30, tzinfo=UTC),
                                               datetime(2024, 5, 1, tzinfo=UTC)]
    assert [e["event_id"] for e in read_events(log)] == [r.id for r in rows]


def test_a_batch_is_all_or_nothing(app, db_engine):
    client, _, log = app
    future = (utcnow() + timedelta(hours=1)).isoformat()
    events = [{"trackId": EIGHT}, {"trackId": "999999"}, {"trackId": BLUEMING, "playedAt": future},
              {"trackId": EIGHT, "source": "s" * 201}]
    body = client.gql(RECORD_MANY, events=events)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    found = [(v["index"], v["field"], v["rule"]) for v in body["errors"][0]["extensions"]["violations"]]
    assert found == [(1, "trackId", "UNKNOWN_TRACK"), (2, "playedAt", "IN_FUTURE"), (3, "source", "TOO_LONG")]
    assert stored(db_engine) == [] and not Path(log).exists()


def test_at_most_500_plays_per_batch(app, db_engine):
    client, _, _ = app
    body = client.gql(RECORD_MANY, events=[{"trackId": EIGHT}] * 501)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert [v["rule"] for v in body["errors"][0]["extensions"]["violations"]] == ["TOO_MANY"]
    assert stored(db_engine) == []


def test_unknown_track_is_rejected(app, db_engine):
    client, _, _ = app
    body = client.gql(RECORD, track="123456789")
    assert error_codes(body) == ["BAD_USER_INPUT"] and stored(db_engine) == []


def test_the_log_rotates(db_url, db_engine, tmp_path):
    load_known_catalog(db_engine)
    settings = account_settings(db_url, tmp_path)
    settings.event_log_path = str(tmp_path / "rotating" / "events-{pid}.jsonl")
    settings.event_log_max_bytes, settings.event_log_backups = 1500, 50
    with graphql_client(settings) as client:
        _, client.token = make_user(db_engine, "jun")
        for _ in range(6):
            assert "errors" not in client.gql(RECORD_MANY, events=[{"trackId": EIGHT}] * 3)
    files = sorted((tmp_path / "rotating").iterdir())
    assert len(files) > 1 and all("events-" in f.name and "{pid}" not in f.name for f in files)
    lines = [e for f in files for e in read_events(f)]
    assert sorted(e["event_id"] for e in lines) == [r.id for r in stored(db_engine)]
    assert len(lines) == 18
