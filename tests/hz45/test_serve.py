"""``hz45 serve`` starts only against a reachable database at the newest migration."""

from __future__ import annotations

import pytest
import uvicorn
from click.testing import CliRunner

from domain.migrations import head_revision, upgrade
from hz45.cli import main


@pytest.fixture
def started(monkeypatch) -> list[dict]:
    """The keyword arguments of every ``uvicorn.run`` (which is not really run)."""
    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append({"app": app, **kwargs}))
    return calls


def serve(url: str):
    return CliRunner().invoke(main, ["serve"], env={"DATABASE_URL": url, "REDIS_URL": None, "HZ45_CONFIG": None})


def test_serve_refuses_an_unmigrated_database(tmp_path, started):
    result = serve(f"sqlite:///{tmp_path}/empty.db")
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: database is at revision base, head is {head_revision()}: run hz45 migrate"
    assert started == []


def test_serve_refuses_a_database_behind_head(tmp_path, started):
    url = f"sqlite:///{tmp_path}/old.db"
    upgrade(url, "0001")
    result = serve(url)
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: database is at revision 0001, head is {head_revision()}: run hz45 migrate"
    assert started == []


@pytest.mark.parametrize("url", ["postgresql+psycopg://postgres@127.0.0.1:1/test", "sqlite:///{tmp}/no-such-dir/x.db"])
def test_serve_refuses_an_unreachable_database(tmp_path, started, url):
    result = serve(url.format(tmp=tmp_path))
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith(("Error: cannot reach the database at ", "Error: cannot open the SQLite database "))
    assert "OperationalError" not in line and line.endswith("DATABASE_URL")
    assert started == []


def test_serve_starts_on_a_migrated_database_without_trusting_forwarded_headers(sqlite_url, started):
    result = serve(sqlite_url)
    assert result.exit_code == 0, result.output
    [call] = started
    # the app believes forwarded headers from HZ45_TRUSTED_PROXIES only; uvicorn's would trust 127.0.0.1
    assert call["app"] == "api.asgi:app" and call["proxy_headers"] is False
