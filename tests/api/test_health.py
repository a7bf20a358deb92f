"""Liveness and readiness endpoints."""

from starlette.testclient import TestClient

from api.app import create_app
from tests.support.settings import make_settings


def test_healthz_and_readyz(sqlite_url, tmp_path):
    with TestClient(create_app(make_settings(sqlite_url, tmp_path))) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "models": "no trained models yet"}


def test_readyz_reports_an_unreachable_database(tmp_path):
    settings = make_settings(f"sqlite:///{tmp_path}/missing-dir/x.db", tmp_path)
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"


def test_readyz_reports_an_unreachable_redis(sqlite_url, tmp_path):
    settings = make_settings(sqlite_url, tmp_path).model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    with TestClient(create_app(settings)) as client:
        body = client.get("/readyz").json()
        assert body["status"] == "unavailable" and body["checks"]["database"] == "ok"
        assert body["checks"]["redis"] != "ok"


def test_graphiql_is_served_in_development(sqlite_url, tmp_path):
    with TestClient(create_app(make_settings(sqlite_url, tmp_path))) as client:
        page = client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
