"""A database or Redis that is down or too slow answers ``SERVICE_UNAVAILABLE``, naming the
service and never its address, instead of ``INTERNAL_SERVER_ERROR``."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from api.app import create_app
from api.extensions import _outage
from domain.db import create_db_engine
from tests.support.accounts import user_with_token
from tests.support.settings import make_settings

UNREACHABLE_PG = "postgresql+psycopg://postgres@127.0.0.1:1/test"
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def post(client: TestClient, query: str, token: str | None = None) -> dict:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    assert "127.0.0.1" not in response.text and ":1/" not in response.text
    return response.json()


@pytest.mark.parametrize(("query", "token"), [
    ('{ track(id: "1") { id } }', None),
    ("{ tracks(first: 2) { totalCount } }", None),
    ("{ genres { name } }", None),
    ("{ myPlaylists { totalCount } }", "some-token"),  # the viewer lookup itself needs the database
    ('mutation { recordPlay(trackId: "1") { id } }', "some-token"),
])
def test_an_unreachable_database_is_service_unavailable(tmp_path, query, token, caplog):
    settings = make_settings(UNREACHABLE_PG, tmp_path)
    with TestClient(create_app(settings)) as client, caplog.at_level(logging.WARNING):
        caplog.clear()  # the start-up's failed model refresh is logged with its traceback, rightly
        body = post(client, query, token)
    [error] = body["errors"]
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "service": "database"}
    tracebacks = [r for r in caplog.records if r.exc_info and "refresh" not in r.getMessage()]
    assert tracebacks == [] and "database unavailable: OperationalError" in caplog.text


def test_an_unreachable_redis_is_service_unavailable(sqlite_url, tmp_path):
    engine = create_db_engine(sqlite_url)
    _, token = user_with_token(engine, "root", admin=True)
    settings = make_settings(sqlite_url, tmp_path).model_copy(update={"redis_url": UNREACHABLE_REDIS})
    with TestClient(create_app(settings, engine=engine)) as client:
        for query in ('mutation { retrain(engine: "svd") { id } }', '{ job(id: "abc") { status } }'):
            [error] = post(client, query, token)["errors"]
            assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "service": "redis"}, query
        # what needs only the database still works
        assert post(client, "{ genres { name } }", token)["data"] == {"genres": []}
    engine.dispose()


@pytest.mark.postgres
def test_a_statement_timeout_counts_as_the_database_being_unavailable(postgres_url):
    engine = create_db_engine(postgres_url, statement_timeout_ms=50)
    with pytest.raises(sa.exc.DBAPIError) as raised, engine.connect() as conn:
        conn.execute(sa.text("select pg_sleep(2)"))
    assert _outage(raised.value) == "database"
    engine.dispose()


def test_a_programming_error_is_not_an_outage():
    assert _outage(sa.exc.ProgrammingError("select", {}, Exception("syntax"))) is None
    assert _outage(ValueError("x")) is None
