"""Liveness and readiness endpoints."""

import time

from starlette.testclient import TestClient

from api.app import create_app
from domain.migrations import head_revision, upgrade
from domain.settings import ApiSettings
from tests.support.settings import make_settings

UNREACHABLE_PG = "postgresql+psycopg://postgres@127.0.0.1:1/test"


def test_healthz_and_readyz(sqlite_url, tmp_path):
    with TestClient(create_app(make_settings(sqlite_url, tmp_path))) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "migrations": f"at head {head_revision()}",
                                          "models": "no trained models yet"}


def test_readyz_is_not_ready_behind_the_newest_migration(tmp_path):
    url = f"sqlite:///{tmp_path}/old.db"
    upgrade(url, "0001")
    with TestClient(create_app(make_settings(url, tmp_path))) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] == "ok"
        assert ready.json()["checks"]["migrations"] == f"database is at revision 0001, head is {head_revision()}"


def test_readyz_reports_an_unreachable_database(tmp_path):
    settings = make_settings(f"sqlite:///{tmp_path}/missing-dir/x.db", tmp_path)
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"


def test_readyz_does_not_tell_where_the_database_and_redis_are(tmp_path):
    settings = make_settings(UNREACHABLE_PG, tmp_path).model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert checks["database"] == "failed (OperationalError)"
        assert checks["redis"] == "failed (ConnectionError)"
        assert "127.0.0.1" not in ready.text and "port" not in ready.text


def test_readyz_reports_an_unreachable_redis(sqlite_url, tmp_path):
    settings = make_settings(sqlite_url, tmp_path).model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    with TestClient(create_app(settings)) as client:
        body = client.get("/readyz").json()
        assert body["status"] == "unavailable" and body["checks"]["database"] == "ok"
        assert body["checks"]["redis"] != "ok"


def test_readyz_checks_time_out_without_holding_the_answer(sqlite_url, tmp_path):
    settings = make_settings(sqlite_url, tmp_path, api=ApiSettings(readiness_timeout_seconds=0.2))
    with TestClient(create_app(settings)) as client:
        client.app.state.readiness_checks["hung"] = lambda: (time.sleep(1.5), (True, "ok"))[1]
        started = time.monotonic()
        ready = client.get("/readyz")
        assert time.monotonic() - started < 1.2
        assert ready.status_code == 503
        assert ready.json()["checks"]["hung"] == "no answer within 0.2 s"
        assert ready.json()["checks"]["database"] == "ok"


def test_graphiql_is_served_in_development(sqlite_url, tmp_path):
    with TestClient(create_app(make_settings(sqlite_url, tmp_path))) as client:
        page = client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
