"""Production mode (no introspection, no GraphiQL) and which proxies' forwarded headers count."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from api.app import create_app
from domain.accounts.tables import LoginFailure
from domain.db import create_db_engine
from domain.settings import Settings
from tests.support.accounts import LOG_IN, account_settings
from tests.support.settings import make_settings

INTROSPECT = "{ __schema { queryType { name } } }"
PROXY = "198.51.100.7"
CLIENT = "203.0.113.5"


def test_environment_and_trusted_proxies_come_from_the_environment(monkeypatch):
    assert not Settings(redis_url=None).production and Settings(redis_url=None).trusted_proxies == []
    monkeypatch.setenv("HZ45_ENVIRONMENT", "production")
    monkeypatch.setenv("HZ45_TRUSTED_PROXIES", '["10.0.0.0/8", "192.0.2.1"]')
    settings = Settings(redis_url=None)
    assert settings.production and settings.trusted_proxies == ["10.0.0.0/8", "192.0.2.1"]


@pytest.mark.parametrize("environment", ["development", "production"])
def test_production_turns_off_introspection_and_graphiql(sqlite_url, tmp_path, environment):
    production = environment == "production"
    with TestClient(create_app(make_settings(sqlite_url, tmp_path, environment=environment))) as client:
        body = client.post("/graphql", json={"query": INTROSPECT}).json()
        if production:
            assert "introspection" in body["errors"][0]["message"].lower() and body.get("data") is None
        else:
            assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
        page = client.get("/graphql", headers={"Accept": "text/html"})
        assert ("graphiql" in page.text.lower()) is not production
        assert (page.status_code == 200) is not production
        # ordinary queries work either way
        assert client.post("/graphql", json={"query": "{ __typename }"}).json() == {"data": {"__typename": "Query"}}


def _failed_log_in_client(settings) -> str:
    """The client address a failed log-in through the proxy is counted under."""
    with TestClient(create_app(settings), client=(PROXY, 4000)) as client:
        client.post("/graphql", json={"query": LOG_IN, "variables": {"nickname": "nobody", "password": "wrong-pw-1"}},
                    headers={"X-Forwarded-For": CLIENT})
    engine = create_db_engine(settings.database_url)
    try:
        with Session(engine) as session:
            return session.exec(select(LoginFailure.client)).one()
    finally:
        engine.dispose()


def test_forwarded_for_is_ignored_by_default(sqlite_url, tmp_path):
    # otherwise anyone could dodge the per-address throttle with a made-up header
    assert _failed_log_in_client(account_settings(sqlite_url, tmp_path)) == PROXY


def test_forwarded_for_is_believed_from_a_trusted_proxy(sqlite_url, tmp_path):
    settings = account_settings(sqlite_url, tmp_path).model_copy(update={"trusted_proxies": [PROXY]})
    assert _failed_log_in_client(settings) == CLIENT


def test_forwarded_for_from_an_untrusted_peer_is_ignored(sqlite_url, tmp_path):
    settings = account_settings(sqlite_url, tmp_path).model_copy(update={"trusted_proxies": ["192.0.2.0/24"]})
    assert _failed_log_in_client(settings) == PROXY
