"""Reading the daily statistics rows written by ``jobs.stats``."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from domain.stats.tables import OverallDailyStats, UserDailyStats


def overall_row(session: Session, day: date) -> OverallDailyStats | None:
    """The stored overall stats of ``day``."""
    return session.get(OverallDailyStats, day)


def user_rows(session: Session, user_id: int, start: date, end: date) -> list[UserDailyStats]:
    """A user's daily stats rows from ``start`` to ``end`` inclusive."""
    return list(session.exec(select(UserDailyStats).where(
        UserDailyStats.user_id == user_id, UserDailyStats.day >= start, UserDailyStats.day <= end)).all())
