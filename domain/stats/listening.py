"""Listening statistics over named ranges, read from the hourly rollups (:mod:`domain.stats.rollups`).

A range is a span of days in the listener's own time zone (the whole service's: UTC). Every shape
is a sum over the rollup rows of the range; artists, genres and release years are joined in at read
time from the track, so they follow the catalog.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from domain.catalog.tables import Genre, Track, TrackArtist, TrackGenre
from domain.columns import utcnow
from domain.stats.rollups import stored_zone, watermark
from domain.stats.tables import ArtistFirstPlay, ListeningRollup, OverallArtistFirstPlay, OverallListeningRollup

_track = Track.__table__
_track_artist = TrackArtist.__table__
_track_genre = TrackGenre.__table__
_genre = Genre.__table__


class StatsRange(Enum):
    """Named ranges; the bare names are the last complete week (Monday to Sunday), month or year."""

    THIS_WEEK = "this_week"
    THIS_MONTH = "this_month"
    THIS_YEAR = "this_year"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    ALL_TIME = "all_time"


class Granularity(Enum):
    """The size of one bucket of listening activity."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


GRANULARITY = {StatsRange.THIS_YEAR: Granularity.MONTH, StatsRange.YEAR: Granularity.MONTH,
               StatsRange.ALL_TIME: Granularity.YEAR}


@dataclass(frozen=True)
class Scope:
    """Whose plays: one listener's (in their zone) or, with ``user_id`` None, the service's (UTC)."""

    user_id: int | None = None
    time_zone: str = "UTC"

    @property
    def rollup(self) -> sa.Table:
        return (ListeningRollup if self.user_id is not None else OverallListeningRollup).__table__

    @property
    def first_plays(self) -> sa.Table:
        return (ArtistFirstPlay if self.user_id is not None else OverallArtistFirstPlay).__table__

    def where(self, table: sa.Table) -> list[sa.ColumnElement[bool]]:
        return [table.c.user_id == self.user_id] if self.user_id is not None else []

    def today(self, now: datetime | None = None) -> date:
        """Today in the scope's time zone."""
        return (now or utcnow()).astimezone(stored_zone(self.time_zone) if self.user_id is not None else UTC).date()


@dataclass(frozen=True)
class Window:
    """A resolved range: whose plays, which days (inclusive), buckets of activity, data as of when."""

    scope: Scope
    range: StatsRange
    start: date
    end: date
    granularity: Granularity
    as_of: datetime | None

    def where(self, table: sa.Table) -> list[sa.ColumnElement[bool]]:
        return [*self.scope.where(table), table.c.day >= self.start, table.c.day <= self.end]


def range_days(stats_range: StatsRange, today: date, data_days: tuple[date, date] | None) -> tuple[date, date]:
    """The first and last day of ``stats_range`` seen on ``today``; ALL_TIME spans ``data_days``."""
    monday = today - timedelta(days=today.weekday())
    month_start = today.replace(day=1)
    match stats_range:
        case StatsRange.THIS_WEEK:
            return monday, today
        case StatsRange.WEEK:
            return monday - timedelta(days=7), monday - timedelta(days=1)
        case StatsRange.THIS_MONTH:
            return month_start, today
        case StatsRange.MONTH:
            last = month_start - timedelta(days=1)
            return last.replace(day=1), last
        case StatsRange.THIS_YEAR:
            return date(today.year, 1, 1), today
        case StatsRange.YEAR:
            return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
        case StatsRange.ALL_TIME:
            return data_days or (today, today)
    raise ValueError(stats_range)


def data_days(session: Session, scope: Scope) -> tuple[date, date] | None:
    """The first and last day with plays in the scope's rollup."""
    rollup = scope.rollup
    first, last = session.execute(sa.select(sa.func.min(rollup.c.day), sa.func.max(rollup.c.day))
                                  .where(*scope.where(rollup))).one()
    return (first, last) if first is not None else None


def window(session: Session, scope: Scope, stats_range: StatsRange, now: datetime | None = None) -> Window:
    """Resolve ``stats_range`` for ``scope`` at ``now`` (default the current time)."""
    bounds = data_days(session, scope) if stats_range is StatsRange.ALL_TIME else None
    start, end = range_days(stats_range, scope.today(now), bounds)
    _, as_of = watermark(session)
    return Window(scope, stats_range, start, end, GRANULARITY.get(stats_range, Granularity.DAY), as_of)


def total_plays(session: Session, w: Window) -> int:
    """Plays in the window."""
    rollup = w.scope.rollup
    return int(session.execute(sa.select(sa.func.coalesce(sa.func.sum(rollup.c.plays), 0))
                               .where(*w.where(rollup))).scalar())


def bucket_start(day: date, granularity: Granularity) -> date:
    """The first day of the activity bucket holding ``day``."""
    if granularity is Granularity.MONTH:
        return day.replace(day=1)
    if granularity is Granularity.YEAR:
        return date(day.year, 1, 1)
    return day


def _next_bucket(start: date, granularity: Granularity) -> date:
    if granularity is Granularity.DAY:
        return start + timedelta(days=1)
    if granularity is Granularity.MONTH:
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date(start.year + 1, 1, 1)


def activity(session: Session, w: Window) -> list[tuple[date, int]]:
    """Plays per bucket (day, month or year) over the whole window, empty buckets included."""
    rollup = w.scope.rollup
    totals: dict[date, int] = defaultdict(int)
    for day, plays in session.execute(sa.select(rollup.c.day, sa.func.sum(rollup.c.plays))
                                      .where(*w.where(rollup)).group_by(rollup.c.day)):
        totals[bucket_start(day, w.granularity)] += int(plays)
    buckets, start = [], bucket_start(w.start, w.granularity)
    while start <= w.end:
        buckets.append((start, totals.get(start, 0)))
        start = _next_bucket(start, w.granularity)
    return buckets


def heatmap(session: Session, w: Window) -> list[list[int]]:
    """Plays by weekday (Monday first) and hour of the scope's local time: 7 rows of 24."""
    rollup = w.scope.rollup
    cells = [[0] * 24 for _ in range(7)]
    for day, hour, plays in session.execute(
            sa.select(rollup.c.day, rollup.c.hour, sa.func.sum(rollup.c.plays))
            .where(*w.where(rollup)).group_by(rollup.c.day, rollup.c.hour)):
        cells[day.weekday()][hour] += int(plays)
    return cells


def eras(session: Session, w: Window) -> list[tuple[int, int]]:
    """Plays by the tracks' release year, oldest first (tracks without a release year left out)."""
    rollup = w.scope.rollup
    year = sa.func.substr(_track.c.release_date, 1, 4)
    rows = session.execute(sa.select(year, sa.func.sum(rollup.c.plays))
                           .join(_track, _track.c.id == rollup.c.track_id)
                           .where(*w.where(rollup), _track.c.release_date.is_not(None)).group_by(year))
    return sorted((int(y), int(n)) for y, n in rows if y and y.isdigit() and len(y) == 4)


def genre_hours(session: Session, w: Window) -> list[tuple[str, list[int]]]:
    """Plays by primary genre and local hour (24 counts), most played genre first, ties by name."""
    rollup = w.scope.rollup
    hours: dict[str, list[int]] = defaultdict(lambda: [0] * 24)
    for name, hour, plays in session.execute(
            sa.select(_genre.c.name, rollup.c.hour, sa.func.sum(rollup.c.plays))
            .join(_track_genre, sa.and_(_track_genre.c.track_id == rollup.c.track_id, _track_genre.c.is_primary))
            .join(_genre, _genre.c.id == _track_genre.c.genre_id)
            .where(*w.where(rollup)).group_by(_genre.c.name, rollup.c.hour)):
        hours[name][hour] += int(plays)
    return sorted(hours.items(), key=lambda kv: (-sum(kv[1]), kv[0]))


@dataclass
class Page:
    """One page of a ranking: (key values..., plays) rows, and whether more follow."""

    rows: list[tuple[Any, ...]]
    has_next: bool


def _ranking(w: Window, kind: str) -> sa.Subquery:
    """(id, [name,] plays) per track, artist or primary genre in the window."""
    rollup = w.scope.rollup
    plays = sa.func.sum(rollup.c.plays).label("plays")
    if kind == "track":
        query = sa.select(rollup.c.track_id.label("id"), plays).group_by(rollup.c.track_id)
    elif kind == "artist":
        query = (sa.select(_track_artist.c.artist_id.label("id"), plays)
                 .join(_track_artist, _track_artist.c.track_id == rollup.c.track_id)
                 .group_by(_track_artist.c.artist_id))
    else:
        query = (sa.select(_genre.c.id.label("id"), _genre.c.name.label("name"), plays)
                 .join(_track_genre, sa.and_(_track_genre.c.track_id == rollup.c.track_id,
                                             _track_genre.c.is_primary))
                 .join(_genre, _genre.c.id == _track_genre.c.genre_id)
                 .group_by(_genre.c.id, _genre.c.name))
    return query.where(*w.where(rollup)).subquery()


def top(session: Session, w: Window, kind: str, limit: int, after: tuple[int, int] | None = None) -> Page:
    """Most played tracks, artists or genres (``kind``), plays desc then id; keyset ``after`` (plays, id).

    Rows are (id, plays) for tracks and artists, (id, name, plays) for genres.
    """
    ranking = _ranking(w, kind)
    query = sa.select(*ranking.c).order_by(ranking.c.plays.desc(), ranking.c.id).limit(limit + 1)
    if after is not None:
        plays, last_id = after
        query = query.where(sa.or_(ranking.c.plays < plays, sa.and_(ranking.c.plays == plays, ranking.c.id > last_id)))
    rows = [tuple(r) for r in session.execute(query)]
    return Page(rows[:limit], len(rows) > limit)


def count_top(session: Session, w: Window, kind: str) -> int:
    """How many tracks, artists or genres were played in the window."""
    return int(session.execute(sa.select(sa.func.count()).select_from(_ranking(w, kind))).scalar())


def new_artists(session: Session, w: Window, limit: int, after: tuple[date, int] | None = None) -> Page:
    """Artists first played in the window: (artist id, first day), by first day then id."""
    first = w.scope.first_plays
    query = (sa.select(first.c.artist_id, first.c.first_day)
             .where(*w.scope.where(first), first.c.first_day >= w.start, first.c.first_day <= w.end)
             .order_by(first.c.first_day, first.c.artist_id).limit(limit + 1))
    if after is not None:
        day, last_id = after
        query = query.where(sa.or_(first.c.first_day > day,
                                   sa.and_(first.c.first_day == day, first.c.artist_id > last_id)))
    rows = [tuple(r) for r in session.execute(query)]
    return Page(rows[:limit], len(rows) > limit)


def count_new_artists(session: Session, w: Window) -> int:
    """How many artists were first played in the window."""
    first = w.scope.first_plays
    return int(session.execute(sa.select(sa.func.count()).select_from(first).where(
        *w.scope.where(first), first.c.first_day >= w.start, first.c.first_day <= w.end)).scalar())
