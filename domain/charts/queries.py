"""Reading the charts: hourly windows (written by ``jobs.charts``) and the daily Top 50."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from domain.charts.tables import ChartHourly, ChartTop50


def window_entries(session: Session, window_start: datetime, limit: int) -> list[tuple[int, int, int]]:
    """(rank, track id, plays) of an hourly window, best first."""
    rows = session.exec(select(ChartHourly.rank, ChartHourly.track_id, ChartHourly.plays)
                        .where(ChartHourly.window_start == window_start)
                        .order_by(ChartHourly.rank).limit(limit)).all()
    return [tuple(r) for r in rows]


def top50_entries(session: Session, day: date, limit: int) -> tuple[date | None, list[tuple[int, int, None]]]:
    """The latest Top 50 on or before ``day``: its date and (rank, track id, None) rows."""
    latest = session.exec(select(sa.func.max(ChartTop50.chart_date)).where(ChartTop50.chart_date <= day)).one()
    if latest is None:
        return None, []
    rows = session.exec(select(ChartTop50.rank, ChartTop50.track_id).where(ChartTop50.chart_date == latest)
                        .order_by(ChartTop50.rank).limit(limit)).all()
    return latest, [(rank, track_id, None) for rank, track_id in rows]


def windows_between(session: Session, start: datetime, end: datetime) -> list[tuple[datetime, int, int]]:
    """(window start, total plays, tracks) of the windows with data in ``[start, end)``."""
    rows = session.exec(
        select(ChartHourly.window_start, sa.func.sum(ChartHourly.plays), sa.func.count())
        .where(ChartHourly.window_start >= start, ChartHourly.window_start < end)
        .group_by(ChartHourly.window_start).order_by(ChartHourly.window_start)
    ).all()
    return [(w, int(p), int(n)) for w, p, n in rows]
