"""chartUpdated over a real websocket (graphql-transport-ws), in-process and through Redis."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from domain.columns import utcnow
from domain.db import create_db_engine
from jobs.charts import aggregate_charts
from tests.support.activity import add_plays, seed_activity
from tests.support.settings import make_settings

SUBSCRIBE = "subscription { chartUpdated(kind: REALTIME) { kind windowStart entries { rank plays track { name } } } }"


def _next_chart(ws) -> dict:
    message = ws.receive_json()
    assert message["type"] == "next", message
    return message["payload"]["data"]["chartUpdated"]


def _subscribe_then_aggregate(settings, db_url) -> tuple[dict, dict]:
    engine = create_db_engine(db_url)
    tracks, users = seed_activity(engine)
    with TestClient(create_app(settings)) as client:
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json({"type": "connection_init"})
            assert ws.receive_json()["type"] == "connection_ack"
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
            initial = _next_chart(ws)
            add_plays(engine, [(users[0], tracks[2], utcnow()), (users[1], tracks[2], utcnow())])
            aggregate_charts(database_url=db_url)
            updated = _next_chart(ws)
            ws.send_json({"id": "1", "type": "complete"})
    engine.dispose()
    return initial, updated


@pytest.mark.timeout(60)
def test_chart_updates_are_pushed_in_process(db_url, tmp_path):
    initial, updated = _subscribe_then_aggregate(make_settings(db_url, tmp_path), db_url)
    assert initial["kind"] == "REALTIME" and initial["entries"] == []
    assert updated["windowStart"] == initial["windowStart"]
    assert updated["entries"] == [{"rank": 1, "plays": 2, "track": {"name": "Song 3"}}]


@pytest.mark.redis
@pytest.mark.timeout(60)
def test_chart_updates_are_pushed_through_redis(sqlite_url, tmp_path, redis_url, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_url)  # the job publishes with its own settings
    settings = make_settings(sqlite_url, tmp_path, redis_url=redis_url)
    _, updated = _subscribe_then_aggregate(settings, sqlite_url)
    assert updated["entries"] == [{"rank": 1, "plays": 2, "track": {"name": "Song 3"}}]
