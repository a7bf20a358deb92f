"""What every job opens first: its settings and a database engine of its own."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from domain.db import create_db_engine
from domain.pubsub import publish
from domain.settings import Settings, get_settings

log = logging.getLogger("hz45.jobs")


@dataclass(frozen=True)
class JobContext:
    """The settings and database engine one job run works with."""

    settings: Settings
    engine: Engine

    def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Tell subscribers (Redis pub/sub or in-process) that something changed; never fails the job."""
        try:
            publish(channel, message, redis_url=self.settings.redis_url)
        except Exception:  # the data is stored; a missed notification only delays a live update
            log.exception("could not publish %s", channel)


@contextmanager
def job_context(
    database_url: str | None = None,
    *,
    settings: Settings | None = None,
    engine: Engine | None = None,
) -> Iterator[JobContext]:
    """Settings (from the environment unless given; ``database_url`` overriding) and an engine.

    An engine the job opened is disposed when the job ends; one passed in is the caller's.
    Jobs run in RQ work horses and in-process threads alike, so each opens its own.
    """
    if settings is None:
        settings = get_settings(**({"database_url": database_url} if database_url else {}))
    elif database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    own = engine is None
    engine = engine if engine is not None else create_db_engine(settings.database_url)
    try:
        yield JobContext(settings, engine)
    finally:
        if own:
            engine.dispose()


def resolve_day(day: str | None, default: str = "today") -> date:
    """``YYYY-MM-DD``, ``today`` or ``yesterday`` (UTC) as a date; None means ``default``."""
    value = day or default
    today = datetime.now(UTC).date()
    if value == "today":
        return today
    if value == "yesterday":
        return today - timedelta(days=1)
    return date.fromisoformat(value)
