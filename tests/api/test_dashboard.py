"""rq-dashboard under /rq: admins only (Basic nickname + token, or Bearer)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.jobs.dashboard import credentials
from domain.db import create_db_engine
from tests.support.accounts import user_with_token
from tests.support.settings import make_settings


def test_credentials_from_basic_and_bearer_headers():
    assert credentials("Bearer abc") == (None, "abc")
    assert credentials("Basic cm9vdDpzZWNyZXQ=") == ("root", "secret")
    assert credentials("Basic !!!") is None
    assert credentials("") is None


def test_no_dashboard_without_redis(sqlite_url, tmp_path):
    with TestClient(create_app(make_settings(sqlite_url, tmp_path))) as client:
        assert client.get("/rq/").status_code == 404


@pytest.mark.redis
def test_dashboard_is_for_admins(sqlite_url, tmp_path, redis_url):
    engine = create_db_engine(sqlite_url)
    _, admin = user_with_token(engine, "root", admin=True)
    _, listener = user_with_token(engine, "ana")
    engine.dispose()
    with TestClient(create_app(make_settings(sqlite_url, tmp_path, redis_url=redis_url))) as client:
        anonymous = client.get("/rq/")
        assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Basic")
        assert client.get("/rq/", auth=("ana", listener)).status_code == 403
        assert client.get("/rq/", auth=("ana", admin)).status_code == 401  # someone else's token
        page = client.get("/rq/", auth=("root", admin))
        assert page.status_code == 200 and "<title>RQ dashboard</title>" in page.text
        assert "/rq/static/css/main.css" in page.text  # links stay under the mount
        queues = client.get("/rq/0/data/queues.json", headers={"Authorization": f"Bearer {admin}"})
        assert queues.status_code == 200 and "queues" in queues.json()
