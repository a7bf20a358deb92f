"""Connections give up connecting in time, PostgreSQL cancels statements over the timeout, and
SQLite waits for a lock only as long as its busy timeout."""

from __future__ import annotations

import socket
import sqlite3
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from domain.db import create_db_engine, engine_for
from tests.support.settings import make_settings


def test_postgres_cancels_a_statement_over_the_timeout(postgres_url):
    engine = engine_for(make_settings(postgres_url, database_statement_timeout_ms=300))
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SHOW statement_timeout")).scalar() == "300ms"
            assert conn.execute(sa.text("SELECT pg_sleep(0.05)")).all()  # under the timeout: fine
        started = time.monotonic()
        with pytest.raises(OperationalError, match="statement timeout"), engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_sleep(5)"))
        assert time.monotonic() - started < 3
    finally:
        engine.dispose()


def test_the_default_settings_limit_statements_to_five_seconds(postgres_url):
    engine = engine_for(make_settings(postgres_url))
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SHOW statement_timeout")).scalar() == "5s"
    finally:
        engine.dispose()


def test_jobs_engines_have_no_statement_timeout(postgres_url):
    engine = create_db_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SHOW statement_timeout")).scalar() == "0"
    finally:
        engine.dispose()


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections (the kernel's backlog) and never says a word."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


@pytest.mark.parametrize("make_engine", [
    lambda url: create_db_engine(url, connect_timeout_s=2),
    lambda url: engine_for(make_settings(url, database_connect_timeout_s=2)),
], ids=["create_db_engine", "engine_for"])
def test_connecting_to_a_server_that_never_answers_gives_up(silent_server, make_engine):
    engine = make_engine(f"postgresql+psycopg://nobody@127.0.0.1:{silent_server}/nothing")
    started = time.monotonic()
    with pytest.raises(OperationalError), engine.connect():
        pass
    engine.dispose()
    assert time.monotonic() - started < 8  # libpq waits at least 2 s


def test_sqlite_waits_for_a_lock_only_as_long_as_the_busy_timeout(sqlite_url):
    path = sa.make_url(sqlite_url).database
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # holds the write lock
    engine = engine_for(make_settings(sqlite_url, database_busy_timeout_s=0.3))
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="locked"), engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE waiting (x INTEGER)"))
        assert time.monotonic() - started < 5
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()
