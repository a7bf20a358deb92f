"""The web client's files: / is its page, every file it loads is served from the app (no CDN),
every page module the router names exists, and the wheel ships all of them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.graphiql import ASSETS
from api.web import STATIC
from tests.support.browser import references, sri
from tests.support.settings import make_settings

ROOT = Path(__file__).resolve().parents[2]
API = ROOT / "api"
OWN_FILES = [path for path in STATIC.rglob("*") if path.suffix in {".html", ".js", ".css"} and "vendor" not in path.parts]
STATIC_IMPORT = re.compile(r"^import .+ from '([^']+)';$", re.MULTILINE)


@pytest.fixture
def client(sqlite_url, tmp_path):
    with TestClient(create_app(make_settings(sqlite_url, tmp_path))) as client:
        yield client


def test_the_root_is_the_page_and_every_file_it_loads_is_served(client):
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    files = [(url, integrity) for url, integrity in references(page.text) if not url.startswith("data:")]
    assert {url for url, _ in files} == {"/static/app.css", "/static/js/app.js",
                                         "/static/vendor/chart.js-4.6.1/dist/chart.umd.min.js"}
    for url, integrity in files:
        response = client.get(url)
        assert response.status_code == 200, url
        assert integrity in (None, sri(response.content)), url


def test_every_module_import_resolves_to_a_served_file(client):
    """Static imports; the router's dynamic ``import(`./pages/${name}.js`)`` is checked below."""
    imports = [(path, specifier) for path in STATIC.joinpath("js").rglob("*.js")
               for specifier in STATIC_IMPORT.findall(path.read_text())]
    assert len(imports) >= 2 * 13  # the shell and each page import the client and the helpers
    for path, specifier in imports:
        url = "/static/" + (path.parent / specifier).resolve().relative_to(STATIC).as_posix()
        assert client.get(url).status_code == 200, (path.name, specifier)


def test_every_page_the_router_names_exists(client):
    modules = re.findall(r"module: '([\w-]+)'", STATIC.joinpath("js", "app.js").read_text())
    assert len(modules) == 13
    for module in modules:
        assert client.get(f"/static/js/pages/{module}.js").status_code == 200, module
    assert {path.stem for path in STATIC.joinpath("js", "pages").glob("*.js")} == set(modules)


@pytest.mark.parametrize("path", OWN_FILES, ids=lambda path: path.relative_to(STATIC).as_posix())
def test_the_client_names_no_other_site(path):
    assert re.findall(r"(?:https?:)?//[\w-]+\.[\w.-]+", path.read_text()) == []


def test_the_existing_routes_still_answer(client):
    assert client.get("/healthz").status_code == 200
    assert client.post("/graphql", json={"query": "{ genres { name } }"}).json() == {"data": {"genres": []}}
    assert client.get("/static/missing.js").status_code == 404


def test_the_wheel_ships_every_file_of_the_client_and_of_graphiql():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["api"]
    shipped = {path for pattern in patterns for path in API.glob(pattern) if path.is_file()}
    files = {path for folder in (STATIC, ASSETS) for path in folder.rglob("*") if path.is_file()}
    files.add(ASSETS.parent / "page.html")
    assert files - shipped == set()
