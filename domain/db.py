"""Database engine and sessions."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

# Every table on the metadata before the first session, so foreign keys always resolve.
import domain.tables  # noqa: F401
from domain.settings import Settings

_DEFAULTS = {name: field.default for name, field in Settings.model_fields.items()}


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def create_db_engine(
    url: str,
    *,
    connect_timeout_s: float | None = None,
    statement_timeout_ms: int | None = None,
    busy_timeout_s: float | None = None,
    **kwargs,
) -> Engine:
    """An engine for ``url``; every connection gets a connect timeout.

    PostgreSQL also gets ``statement_timeout_ms`` (none when 0 or left out: jobs and migrations
    run long statements on purpose); SQLite gets foreign keys, WAL and a busy timeout (its wait
    for another connection's lock). Left-out connect and busy timeouts are the settings'
    defaults; the API's engine comes from :func:`engine_for`, which passes the configured ones.
    """
    url = normalise_url(url)
    connect_args = dict(kwargs.pop("connect_args", {}))
    if url.startswith("sqlite"):
        busy = _DEFAULTS["database_busy_timeout_s"] if busy_timeout_s is None else busy_timeout_s
        connect_args = {"check_same_thread": False, "timeout": busy, **connect_args}
        engine = sa.create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql"):
        in_url = sa.make_url(url).query  # what the operator wrote in DATABASE_URL wins
        connect = _DEFAULTS["database_connect_timeout_s"] if connect_timeout_s is None else connect_timeout_s
        if "connect_timeout" not in in_url:
            # libpq takes whole seconds (and waits at least 2)
            connect_args.setdefault("connect_timeout", max(1, math.ceil(connect)))
        if statement_timeout_ms:
            options = connect_args.get("options", in_url.get("options", ""))
            connect_args["options"] = f"-c statement_timeout={int(statement_timeout_ms)} {options}".strip()
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, connect_args=connect_args, **kwargs)


def engine_for(settings: Settings, **kwargs) -> Engine:
    """The engine of ``settings.database_url`` with the configured timeouts (the API's engine)."""
    return create_db_engine(
        settings.database_url,
        connect_timeout_s=settings.database_connect_timeout_s,
        statement_timeout_ms=settings.database_statement_timeout_ms,
        busy_timeout_s=settings.database_busy_timeout_s,
        **kwargs,
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
