"""Hourly charts from the listening log (SPEC §5 ``aggregate_charts``).

A window is one UTC hour ``[start, start + 1 h)``. Late plays are accepted for one hour after a
window ends (the watermark): a window is *open* while ``start >= floor_hour(now - 1 h)``.

Each incremental run recomputes from the log, in one transaction, every touched window:

- the open windows (the current and the previous hour), always;
- the windows of events whose id is above the marker stored in ``job_state`` (what the previous
  run had seen), as long as they were still open at the previous run.

A window is always recomputed in full (delete its rows, insert the new ranking), never patched
with deltas, so a run is idempotent and a killed run (its transaction never commits) leaves the
rows and the marker as they were. Cost grows with the new events and the two open windows, not
with the whole log.

PostgreSQL sequences hand out ids before commit, so a writer can commit id 100 after another
committed id 101 and after a run already moved the marker past 101. Such an event is never seen
through the id marker, but its window is still recomputed in full by every run while it is open,
so it is counted whenever it commits within the watermark. Only events that commit after their
window closed are left out, by design; ``aggregate_charts(full=True)`` rebuilds every window
from the whole log (e.g. after a backfill).
"""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from domain.charts.tables import ChartHourly
from domain.charts.windows import CHART_CHANNEL, LATENESS, WINDOW, floor_hour, open_windows
from domain.columns import utcnow
from domain.jobs.tables import JobState
from domain.plays.tables import PlayEvent
from domain.sql import upsert
from jobs.context import job_context
from jobs.timebuckets import hour_floor

log = logging.getLogger("hz45.jobs.charts")

STATE_NAME = "aggregate_charts"
# Test hook: when set, a run writes its process id to this file and stops before committing,
# so a test can SIGKILL the process running the job (RQ's work horse) exactly mid-run.
KILL_POINT_ENV = "HZ45_TEST_CHARTS_KILL_POINT"

_play = PlayEvent.__table__
_chart = ChartHourly.__table__
_state = JobState.__table__


def aggregate_charts(full: bool = False, now: str | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Job: bring the hourly chart rows up to date; ``full`` rebuilds every window from scratch.

    ``now`` (ISO time, default the current time) fixes the clock for tests and backfills.
    Publishes a ``chart-updated`` event when a window's rows changed. Returns a report.
    """
    moment = datetime.fromisoformat(now) if now else utcnow()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    with job_context(database_url) as job:
        with job.engine.begin() as conn:
            state = _lock_state(conn)
            max_id = conn.execute(sa.select(sa.func.max(_play.c.id))).scalar() or 0
            if full:
                changed = rebuild_all(conn)
            else:
                changed = _incremental(conn, state, max_id, moment)
            _save_state(conn, {"last_event_id": max_id, "covered_until": moment.isoformat()})
            _pause_for_tests()
        realtime = floor_hour(moment)
        report = {
            "full": full, "last_event_id": max_id,
            "changed_windows": [w.isoformat() for w in sorted(changed)],
            "realtime_changed": realtime in changed,
        }
        if changed:
            job.publish(CHART_CHANNEL, {"windows": report["changed_windows"], "realtime": realtime.isoformat()})
    log.info("aggregate_charts: %s", report)
    return report


def _incremental(conn: Connection, state: dict[str, Any], max_id: int, moment: datetime) -> set[datetime]:
    touched = set(open_windows(moment))
    last_id = int(state.get("last_event_id", 0))
    if max_id > last_id:
        previous = state.get("covered_until")
        # Events seen for the first time are accepted if their window was open at the previous
        # run; on the very first run every window is built.
        since = floor_hour(datetime.fromisoformat(previous) - LATENESS) if previous else None
        touched |= new_event_windows(conn, last_id, max_id, since)
    changed = set()
    for window in sorted(touched):
        if recompute_window(conn, window):
            changed.add(window)
    return changed


def new_event_windows(conn: Connection, after_id: int, up_to_id: int, since: datetime | None) -> set[datetime]:
    """The windows of events with ``after_id < id <= up_to_id`` played at or after ``since``."""
    bucket = hour_floor(_play.c.played_at, conn.dialect.name)
    query = sa.select(bucket).where(_play.c.id > after_id, _play.c.id <= up_to_id).distinct()
    if since is not None:
        query = query.where(_play.c.played_at >= since)
    return set(conn.execute(query).scalars())


def _ranked(window_expr, where=(), *, group_window: bool = True) -> sa.Select:
    """Plays per (window, track) ranked by plays desc, then track id."""
    order = (sa.func.count().desc(), _play.c.track_id)
    rank = sa.func.row_number().over(partition_by=window_expr if group_window else None, order_by=order)
    groups = (window_expr, _play.c.track_id) if group_window else (_play.c.track_id,)
    return (sa.select(window_expr.label("window_start"), rank.label("rank"), _play.c.track_id,
                      sa.func.count().label("plays"))
            .where(*where).group_by(*groups))


def recompute_window(conn: Connection, window: datetime) -> bool:
    """Replace one window's rows by its ranking from the log; whether the rows changed."""
    before = window_rows(conn, window)
    conn.execute(sa.delete(_chart).where(_chart.c.window_start == window))
    where = (_play.c.played_at >= window, _play.c.played_at < window + WINDOW)
    constant = sa.literal(window, type_=_chart.c.window_start.type)
    conn.execute(sa.insert(_chart).from_select(
        ["window_start", "rank", "track_id", "plays"], _ranked(constant, where, group_window=False)))
    return window_rows(conn, window) != before


def rebuild_all(conn: Connection) -> set[datetime]:
    """Replace every chart row by the ranking of the whole log; the windows that have rows."""
    conn.execute(sa.delete(_chart))
    bucket = hour_floor(_play.c.played_at, conn.dialect.name)
    conn.execute(sa.insert(_chart).from_select(
        ["window_start", "rank", "track_id", "plays"], _ranked(bucket)))
    return set(conn.execute(sa.select(_chart.c.window_start).distinct()).scalars())


def window_rows(conn: Connection, window: datetime) -> list[tuple[int, int, int]]:
    """(rank, track id, plays) of a window, by rank."""
    rows = conn.execute(sa.select(_chart.c.rank, _chart.c.track_id, _chart.c.plays)
                        .where(_chart.c.window_start == window).order_by(_chart.c.rank))
    return [tuple(r) for r in rows]


def all_chart_rows(engine: Engine) -> list[tuple[datetime, int, int, int]]:
    """Every chart row as (window start, rank, track id, plays), sorted."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(_chart.c.window_start, _chart.c.rank, _chart.c.track_id, _chart.c.plays)
                            .order_by(_chart.c.window_start, _chart.c.rank))
        return [tuple(r) for r in rows]


def _lock_state(conn: Connection) -> dict[str, Any]:
    """The job's marker, locked until commit so two runs never interleave (PostgreSQL)."""
    conn.execute(upsert(conn, _state, ["name"]).values(name=STATE_NAME, value={}, updated_at=utcnow()))
    query = sa.select(_state.c.value).where(_state.c.name == STATE_NAME)
    if conn.dialect.name != "sqlite":
        query = query.with_for_update()
    return dict(conn.execute(query).scalar() or {})


def _save_state(conn: Connection, value: dict[str, Any]) -> None:
    conn.execute(sa.update(_state).where(_state.c.name == STATE_NAME).values(value=value, updated_at=utcnow()))


def _pause_for_tests() -> None:
    marker = os.environ.get(KILL_POINT_ENV)
    if marker:
        Path(marker).write_text(str(os.getpid()))
        time.sleep(60)
