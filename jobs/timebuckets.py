"""Time buckets in SQL that read the same on SQLite and PostgreSQL (timestamps are naive UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from domain.columns import UTCDateTime

# SQLite stores SQLAlchemy DateTimes as text in this layout; a bucket must compare equal to it.
_SQLITE_HOUR = "%Y-%m-%d %H:00:00.000000"


def hour_floor(column, dialect: str) -> sa.ColumnElement:
    """The start of the hour of ``column``, typed so results come back as aware UTC datetimes."""
    if dialect == "sqlite":
        return sa.func.strftime(_SQLITE_HOUR, column, type_=UTCDateTime)
    return sa.func.date_trunc("hour", column, type_=UTCDateTime)


def hour_of_day(column, dialect: str) -> sa.ColumnElement:
    """The hour (0-23) of ``column`` as an integer."""
    if dialect == "sqlite":
        return sa.cast(sa.func.strftime("%H", column), sa.Integer)
    return sa.cast(sa.extract("hour", column), sa.Integer)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC start of ``day`` and of the next day."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)
