"""GraphiQL works with no internet: its page names only files the app serves, each the npm file
whose hash Strawberry's own (CDN) page pins; in production neither the page nor its files exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import strawberry
from starlette.testclient import TestClient

from api.app import create_app
from api.graphiql import ASSETS, ASSETS_PATH
from tests.support.browser import references, sri
from tests.support.settings import make_settings

HTML = {"Accept": "text/html"}
SVG_NAMESPACE = "http://www.w3.org/2000/svg"  # inside the page's data: icon; never fetched


def cdn_page_hashes() -> set[str]:
    """The integrity hashes of Strawberry's GraphiQL page, which loads the same files from a CDN."""
    page = Path(strawberry.__file__).parent / "static" / "graphiql.html"
    return set(re.findall(r'integrity="(sha384-[^"]+)"', page.read_text()))


@pytest.fixture
def client(sqlite_url, tmp_path):
    with TestClient(create_app(make_settings(sqlite_url, tmp_path))) as client:
        yield client


def test_the_page_names_only_local_files(client):
    page = client.get("/graphql", headers=HTML)
    assert page.status_code == 200
    assert "graphiql" in page.text
    assert re.findall(r"https?://[\w./-]+", page.text) == [SVG_NAMESPACE]
    urls = [url for url, _ in references(page.text)]
    assert len(urls) == 7  # the icon, 2 stylesheets, 4 scripts
    for url in urls:
        assert url.startswith((f"{ASSETS_PATH}/", "data:")), url


def test_every_file_it_names_is_served_and_is_the_pinned_npm_file(client):
    page = client.get("/graphql", headers=HTML)
    files = [(url, integrity) for url, integrity in references(page.text) if not url.startswith("data:")]
    assert len(files) == 6
    for url, integrity in files:
        response = client.get(url)
        assert response.status_code == 200, url
        assert integrity == sri(response.content), url
    assert {integrity for _, integrity in files} <= cdn_page_hashes()


def test_every_vendored_file_is_named_by_the_page(client):
    """No dead weight: each vendored script or stylesheet is one the page loads."""
    page = client.get("/graphql", headers=HTML)
    named = {url.removeprefix(f"{ASSETS_PATH}/") for url, _ in references(page.text)}
    vendored = {path.relative_to(ASSETS).as_posix() for path in ASSETS.rglob("*") if path.suffix in {".js", ".css"}}
    assert vendored == named - {url for url in named if url.startswith("data:")}


def test_a_missing_file_is_404(client):
    assert client.get(f"{ASSETS_PATH}/graphiql-3.8.3/missing.js").status_code == 404


def test_production_has_neither_the_page_nor_its_files(sqlite_url, tmp_path):
    settings = make_settings(sqlite_url, tmp_path, environment="production")
    with TestClient(create_app(settings)) as client:
        page = client.get("/graphql", headers=HTML)
        assert "graphiql" not in page.text.lower()
        assert client.get(f"{ASSETS_PATH}/graphiql-3.8.3/graphiql.min.js").status_code == 404
        assert client.get("/").status_code == 200  # the web client uses only the public API
