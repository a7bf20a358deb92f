"""Folding the listening log into the hourly rollups that the range statistics read.

Each listener's plays are counted per (local day, local hour, track) in the listener's time zone
(``listening_rollup``), the whole service's per (UTC day, UTC hour, track)
(``overall_listening_rollup``), and the first day each artist was played (``artist_first_play``,
``overall_artist_first_play``). One watermark, the last play id folded in, lives in ``job_state``
under :data:`STATE_NAME`; the rollups always equal the plays with ``id <= watermark``.

Folding adds counts (``plays = plays + excluded.plays``) and keeps the earliest first day, in the
transaction that moves the watermark, so a killed run leaves rows and watermark as they were and a
run with nothing new changes nothing. The watermark row is locked (``FOR UPDATE`` on PostgreSQL,
the write lock on SQLite) by every writer of the rollups: the job and a time zone change.

Exactness needs every id up to the new watermark to be final, i.e. committed or rolled back for
good. PostgreSQL hands out ids before commit, so ``max(id)`` alone is not enough: a writer may
still commit a smaller id. :func:`settled_max_play_id` therefore takes a ``SHARE`` lock on
``play_event`` for an instant: it waits for the transactions that are inserting plays (they hold
``ROW EXCLUSIVE`` from before they draw an id until they end), and any insert that starts later
draws a larger id. The ``max(id)`` read under that lock is the new watermark, with no id below it
still in flight. SQLite has one writer at a time, so its committed ``max(id)`` is already final.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from domain.accounts.tables import User
from domain.catalog.tables import TrackArtist
from domain.columns import utcnow
from domain.errors import BadUserInput, NotFound
from domain.jobs.tables import JobState
from domain.plays.tables import PlayEvent
from domain.sql import chunked, upsert
from domain.stats.tables import ArtistFirstPlay, ListeningRollup, OverallArtistFirstPlay, OverallListeningRollup

log = logging.getLogger("hz45.stats.rollups")

STATE_NAME = "listening_rollups"
FOLD_CHUNK = 5000

_play = PlayEvent.__table__
_user = User.__table__
_artist = TrackArtist.__table__
_state = JobState.__table__
_rollup = ListeningRollup.__table__
_overall = OverallListeningRollup.__table__
_first = ArtistFirstPlay.__table__
_overall_first = OverallArtistFirstPlay.__table__


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@lru_cache(maxsize=512)
def zone(name: str) -> zoneinfo.ZoneInfo:
    """The :class:`~zoneinfo.ZoneInfo` of an IANA name; an unknown name is ``BAD_USER_INPUT``."""
    if name not in _known_zones():
        raise BadUserInput(f"Unknown time zone {name!r}: use an IANA name such as 'Europe/Paris'",
                           argument="timeZone")
    return zoneinfo.ZoneInfo(name)


@lru_cache(maxsize=512)
def stored_zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone of a stored account; one the time zone database no longer knows counts as UTC."""
    try:
        return zone(name)
    except BadUserInput:
        log.warning("unknown stored time zone %r: counting its plays in UTC", name)
        return zoneinfo.ZoneInfo("UTC")


@dataclass
class FoldReport:
    """What one fold did: the watermark before and after, plays and rows written."""

    from_id: int
    to_id: int
    plays: int = 0
    rows: int = 0


def _insert(conn: Connection, table: sa.Table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _add_plays(conn: Connection, table: sa.Table, keys: list[str], counts: Counter) -> int:
    """Add ``counts`` (key tuple -> plays) to the rows of ``table``."""
    if not counts:
        return 0
    statement = _insert(conn, table)
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_={"plays": table.c.plays + statement.excluded.plays})
    rows = [dict(zip(keys, key, strict=True), plays=n) for key, n in sorted(counts.items())]
    for batch in chunked(rows):
        conn.execute(statement, batch)
    return len(rows)


def _keep_first_day(conn: Connection, table: sa.Table, keys: list[str], first: dict[tuple, date]) -> None:
    """Lower each row's ``first_day`` to the day in ``first`` when that is earlier."""
    if not first:
        return
    statement = _insert(conn, table)
    new = statement.excluded.first_day
    statement = statement.on_conflict_do_update(index_elements=keys, set_={
        "first_day": sa.case((new < table.c.first_day, new), else_=table.c.first_day)})
    rows = [dict(zip(keys, key, strict=True), first_day=day) for key, day in sorted(first.items())]
    for batch in chunked(rows):
        conn.execute(statement, batch)


def _artists_of(conn: Connection, track_ids: Iterable[int]) -> dict[int, list[int]]:
    artists: dict[int, list[int]] = {}
    for batch in chunked(sorted(set(track_ids))):
        for track_id, artist_id in conn.execute(
                sa.select(_artist.c.track_id, _artist.c.artist_id).where(_artist.c.track_id.in_(batch))):
            artists.setdefault(track_id, []).append(artist_id)
    return artists


def _fold_chunk(conn: Connection, plays: list[tuple[int, int, Any, str]], *, overall: bool) -> int:
    """Fold (user id, track id, played at, time zone) plays into the rollups; rows written."""
    local, utc = Counter(), Counter()
    for user_id, track_id, played_at, zone_name in plays:
        at = played_at.astimezone(stored_zone(zone_name))
        local[(user_id, at.date(), at.hour, track_id)] += 1
        if overall:
            at = played_at.astimezone(UTC)
            utc[(at.date(), at.hour, track_id)] += 1
    artists = _artists_of(conn, (key[3] for key in local))
    first: dict[tuple, date] = {}
    for user_id, day, _, track_id in local:
        for artist_id in artists.get(track_id, ()):
            key = (user_id, artist_id)
            first[key] = min(day, first.get(key, day))
    overall_first: dict[tuple, date] = {}
    for day, _, track_id in utc:
        for artist_id in artists.get(track_id, ()):
            overall_first[(artist_id,)] = min(day, overall_first.get((artist_id,), day))
    rows = _add_plays(conn, _rollup, ["user_id", "day", "hour", "track_id"], local)
    _keep_first_day(conn, _first, ["user_id", "artist_id"], first)
    if overall:
        rows += _add_plays(conn, _overall, ["day", "hour", "track_id"], utc)
        _keep_first_day(conn, _overall_first, ["artist_id"], overall_first)
    return rows


def _plays_after(conn: Connection, after_id: int, up_to_id: int, limit: int, user_id: int | None = None):
    query = (sa.select(_play.c.id, _play.c.user_id, _play.c.track_id, _play.c.played_at, _user.c.time_zone)
             .join(_user, _user.c.id == _play.c.user_id)
             .where(_play.c.id > after_id, _play.c.id <= up_to_id).order_by(_play.c.id).limit(limit))
    if user_id is not None:
        query = query.where(_play.c.user_id == user_id)
    return conn.execute(query).all()


def _fold_range(conn: Connection, after_id: int, up_to_id: int, *, user_id: int | None, chunk: int,
                progress: Callable[[FoldReport], None] | None, max_plays: int | None = None) -> FoldReport:
    """Fold the plays in ``(after_id, up_to_id]``; with ``max_plays``, stop after the chunk that
    reaches it (``to_id`` then says how far the fold got)."""
    report = FoldReport(from_id=after_id, to_id=up_to_id)
    cursor = after_id
    while rows := _plays_after(conn, cursor, up_to_id, chunk, user_id):
        cursor = rows[-1].id
        report.rows += _fold_chunk(conn, [tuple(r)[1:] for r in rows], overall=user_id is None)
        report.plays += len(rows)
        if progress is not None:
            progress(report)
        if max_plays is not None and report.plays >= max_plays and len(rows) == chunk:
            report.to_id = cursor
            break
    return report


def lock_watermark(conn: Connection) -> int:
    """The last play id folded in, locked until the transaction ends (one writer of the rollups)."""
    conn.execute(upsert(conn, _state, ["name"]).values(name=STATE_NAME, value={"last_play_id": 0},
                                                        updated_at=utcnow()))
    query = sa.select(_state.c.value).where(_state.c.name == STATE_NAME)
    if conn.dialect.name != "sqlite":
        query = query.with_for_update()
    return int((conn.execute(query).scalar() or {}).get("last_play_id", 0))


def watermark(conn: Connection) -> tuple[int, Any]:
    """(last play id folded in, when) without locking; (0, None) before the first fold."""
    row = conn.execute(sa.select(_state.c.value, _state.c.updated_at).where(_state.c.name == STATE_NAME)).first()
    if row is None:
        return 0, None
    return int((row.value or {}).get("last_play_id", 0)), row.updated_at


def settled_max_play_id(engine: Engine, lock_timeout_s: float = 2.0) -> int | None:
    """The largest play id below which no insert is still in flight; None when the wait timed out.

    PostgreSQL: ``max(id)`` read under a momentary ``SHARE`` lock of ``play_event`` (see the
    module docstring); waiting longer than ``lock_timeout_s`` gives up (the next run tries again).
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text(f"SET LOCAL lock_timeout = '{int(lock_timeout_s * 1000)}ms'"))
            try:
                with conn.begin_nested():
                    conn.execute(sa.text(f"LOCK TABLE {_play.name} IN SHARE MODE"))
            except sa.exc.OperationalError as exc:
                if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
                    raise
                log.warning("listening rollups: plays still being written after %ss; trying later", lock_timeout_s)
                return None
        return int(conn.execute(sa.select(sa.func.max(_play.c.id))).scalar() or 0)


def fold_new_plays(conn: Connection, up_to_id: int, *, chunk: int = FOLD_CHUNK, max_plays: int | None = None,
                   progress: Callable[[FoldReport], None] | None = None) -> FoldReport:
    """Fold the plays with ``watermark < id <= up_to_id`` into the rollups and move the watermark.

    ``up_to_id`` must be settled (:func:`settled_max_play_id`). A smaller ``up_to_id`` than the
    watermark (a slower concurrent run) folds nothing. With ``max_plays`` the fold may stop early;
    the watermark then moves to the last play folded (``to_id``), every id below it being settled.
    """
    last = lock_watermark(conn)
    if up_to_id <= last:
        return FoldReport(from_id=last, to_id=last)
    report = _fold_range(conn, last, up_to_id, user_id=None, chunk=chunk, progress=progress, max_plays=max_plays)
    conn.execute(sa.update(_state).where(_state.c.name == STATE_NAME)
                 .values(value={"last_play_id": report.to_id}, updated_at=utcnow()))
    return report


def rebuild_user(conn: Connection, user_id: int, *, chunk: int = FOLD_CHUNK) -> FoldReport:
    """Recount one listener's rollup rows from their plays up to the watermark (e.g. a new time zone)."""
    last = lock_watermark(conn)
    conn.execute(sa.delete(_rollup).where(_rollup.c.user_id == user_id))
    conn.execute(sa.delete(_first).where(_first.c.user_id == user_id))
    return _fold_range(conn, 0, last, user_id=user_id, chunk=chunk, progress=None)


def set_time_zone(conn: Connection, user_id: int, time_zone: str) -> bool:
    """Store the listener's time zone and, when it changed, recount their rollups in it."""
    zone(time_zone)
    lock_watermark(conn)  # first: the job's fold and this rebuild never interleave
    current = conn.execute(sa.select(_user.c.time_zone).where(_user.c.id == user_id)).scalar()
    if current is None:
        raise NotFound("No such user")
    if current == time_zone:
        return False
    conn.execute(sa.update(_user).where(_user.c.id == user_id).values(time_zone=time_zone))
    rebuild_user(conn, user_id)
    return True
