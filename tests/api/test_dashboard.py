"""rq-dashboard under /rq: admins only (Basic nickname + token, or Bearer), its pages with every
asset they use, and no state changes from other sites."""

from __future__ import annotations

from html.parser import HTMLParser

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


class _Assets(HTMLParser):
    """The URLs of the stylesheets, icons and scripts a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])


def assets_of(html: str) -> list[str]:
    parser = _Assets()
    parser.feed(html)
    return parser.urls


@pytest.fixture
def dashboard(sqlite_url, tmp_path, redis_url):
    """A client of an app with the dashboard, and Basic credentials of an admin."""
    engine = create_db_engine(sqlite_url)
    _, token = user_with_token(engine, "root", admin=True)
    engine.dispose()
    with TestClient(create_app(make_settings(sqlite_url, tmp_path, redis_url=redis_url))) as client:
        yield client, ("root", token)


@pytest.mark.redis
@pytest.mark.parametrize("page", ["/rq/", "/rq/0/view/workers", "/rq/0/view/jobs"])
def test_dashboard_pages_load_every_asset_they_use(dashboard, page):
    client, admin = dashboard
    response = client.get(page, auth=admin)
    assert response.status_code == 200
    assets = assets_of(response.text)
    assert len(assets) >= 7  # icon, two stylesheets, four scripts
    for url in assets:
        assert url.startswith("/rq/"), url
        asset = client.get(url, auth=admin)
        assert asset.status_code == 200, url
        assert asset.content


@pytest.mark.redis
def test_dashboard_refuses_state_changes_from_other_sites(dashboard):
    client, admin = dashboard
    empty = "/rq/queue/default/queued/empty"
    assert client.post(empty, auth=admin, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post(empty, auth=admin, headers={"Referer": "https://evil.example/page"}).status_code == 403
    assert client.post(empty, auth=admin, headers={"Origin": "null"}).status_code == 403
    assert client.post(empty, auth=admin).status_code == 403  # a browser always tells where a POST comes from
    # "requeue all" answers GET too
    assert client.get("/rq/requeue/default", auth=admin, headers={"Origin": "https://evil.example"}).status_code == 403
    # the dashboard's own pages, and scripts with a bearer token (never sent by a browser on its own)
    assert client.post(empty, auth=admin, headers={"Origin": "http://testserver"}).status_code == 200
    assert client.post(empty, auth=admin, headers={"Referer": "http://testserver/rq/0/view/jobs"}).status_code == 200
    assert client.post(empty, headers={"Authorization": f"Bearer {admin[1]}"}).status_code == 200
    # reading stays open to admins from anywhere
    assert client.get("/rq/0/data/queues.json", auth=admin, headers={"Origin": "https://evil.example"}).status_code == 200
