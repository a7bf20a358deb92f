"""Fixtures for every test folder: migrated databases (SQLite and PostgreSQL), Redis, a small tracks CSV.

PostgreSQL and Redis are taken from DATABASE_URL / REDIS_URL (defaults: the local servers).
When a server is unreachable its tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from domain.db import create_db_engine, normalise_url
from domain.migrations import upgrade
from domain.tables import metadata
from tests.support.tracks_csv import write_small_tracks_csv

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"


def unavailable(what: str, reason: str) -> None:
    """Skip (or fail under CI=true) because a service is unreachable."""
    message = f"{what} unreachable: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _postgres_admin_url() -> str:
    return normalise_url(os.environ.get("DATABASE_URL", PG_DEFAULT) if os.environ.get(
        "DATABASE_URL", "").startswith("postgres") else PG_DEFAULT)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A fresh, migrated PostgreSQL database for this test session (dropped at the end)."""
    admin_url = _postgres_admin_url()
    try:
        admin = create_db_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:  # noqa: BLE001
        unavailable("PostgreSQL", str(exc).splitlines()[0])
    name = f"hz45_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = create_db_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path, sqlite_template) -> str:
    """A migrated, empty database URL: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "hz45.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def pg_url(postgres_url) -> str:
    """The session's PostgreSQL database, emptied: for tests that need PostgreSQL alone."""
    _truncate_postgres(postgres_url)
    return postgres_url


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template) -> str:
    """A migrated, empty SQLite database URL (for tests where the backend does not matter)."""
    path = tmp_path / "hz45.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def db_engine(db_url):
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def redis_url() -> str:
    """The Redis URL (REDIS_URL or the local server), flushed; skips when unreachable."""
    import redis

    url = os.environ.get("REDIS_URL", REDIS_DEFAULT)
    try:
        client = redis.Redis.from_url(url)
        client.ping()
    except Exception as exc:  # noqa: BLE001
        unavailable("Redis", str(exc).splitlines()[0])
    client.flushdb()
    return url


@pytest.fixture
def small_csv(tmp_path) -> Path:
    """A small tracks CSV with known cleaning answers (:func:`tests.support.tracks_csv.write_small_tracks_csv`)."""
    return write_small_tracks_csv(tmp_path / "dataset.csv")
