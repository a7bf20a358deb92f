"""What every job shares: settings and an engine of its own, day arguments, event publishing."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from domain.db import create_db_engine
from domain.settings import Settings, get_settings

log = logging.getLogger("hz45.jobs")


def job_engine(database_url: str | None = None) -> tuple[Settings, Engine]:
    """Settings from the environment (``database_url`` overriding) and an engine for them."""
    settings = get_settings(**({"database_url": database_url} if database_url else {}))
    return settings, create_db_engine(settings.database_url)


def resolve_day(day: str | None, default: str = "today") -> date:
    """``YYYY-MM-DD``, ``today`` or ``yesterday`` (UTC) as a date; None means ``default``."""
    value = day or default
    today = datetime.now(UTC).date()
    if value == "today":
        return today
    if value == "yesterday":
        return today - timedelta(days=1)
    return date.fromisoformat(value)


def insert_ignore(conn: Connection, table: sa.Table, **values: Any) -> sa.Executable:
    """``INSERT ... ON CONFLICT DO NOTHING`` for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).values(**values).on_conflict_do_nothing()


def publish_event(settings: Settings, channel: str, message: dict[str, Any]) -> None:
    """Tell subscribers (Redis pub/sub or in-process) that something changed; never fails the job."""
    from domain.pubsub import publish

    try:
        publish(channel, message, redis_url=settings.redis_url)
    except Exception:  # the data is stored; a missed notification only delays a live update
        log.exception("could not publish %s", channel)
