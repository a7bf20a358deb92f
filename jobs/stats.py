"""Listening statistics (SPEC §5): overall stats of a day, and per-user stats of the previous day.

Both jobs compute a day from the log and replace that day's rows in one transaction, so running
them twice, or again after a killed run, gives the same rows.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from domain.accounts.age_groups import age_group
from domain.accounts.tables import User
from domain.catalog.tables import Genre, TrackArtist, TrackGenre
from domain.columns import utcnow
from domain.plays.tables import PlayEvent
from domain.stats.tables import OverallDailyStats, UserDailyStats
from jobs.context import job_context, resolve_day
from jobs.timebuckets import day_bounds, hour_of_day

log = logging.getLogger("hz45.jobs.stats")

ACTIVE_WINDOW = timedelta(minutes=5)
TOP_N = 10

_play = PlayEvent.__table__
_artist = TrackArtist.__table__
_genre = Genre.__table__
_track_genre = TrackGenre.__table__
_user = User.__table__
_overall = OverallDailyStats.__table__
_user_stats = UserDailyStats.__table__


def _in_day(day: date) -> tuple:
    start, end = day_bounds(day)
    return _play.c.played_at >= start, _play.c.played_at < end


def _primary_genre_join():
    return (_play.join(_track_genre, sa.and_(_track_genre.c.track_id == _play.c.track_id,
                                             _track_genre.c.is_primary))
            .join(_genre, _genre.c.id == _track_genre.c.genre_id))


def _counts(conn: Connection, key, source, where, limit: int | None = None) -> list[tuple[Any, int]]:
    """(key, plays) pairs, most played first, ties by key."""
    plays = sa.func.count()
    query = sa.select(key, plays).select_from(source).where(*where).group_by(key).order_by(plays.desc(), key)
    return [(k, n) for k, n in conn.execute(query.limit(limit) if limit else query)]


def overall_payload(conn: Connection, day: date, now: datetime) -> dict[str, Any]:
    """The overall stats of ``day``; "active now" is measured at ``now`` (or the day's end)."""
    where = _in_day(day)
    as_of = min(now, day_bounds(day)[1])
    active = conn.execute(sa.select(sa.func.count(sa.distinct(_play.c.user_id))).where(
        _play.c.played_at > as_of - ACTIVE_WINDOW, _play.c.played_at <= as_of)).scalar()
    ages: dict[int, int] = defaultdict(int)
    genders: dict[str, int] = defaultdict(int)
    for birth, gender in conn.execute(sa.select(_user.c.birth_date, _user.c.gender)):
        ages[age_group(birth, day)] += 1
        genders[gender] += 1
    users = sum(genders.values())
    return {
        "as_of": as_of.isoformat(),
        "plays": conn.execute(sa.select(sa.func.count()).select_from(_play).where(*where)).scalar(),
        "active_users": active,
        "users": users,
        "users_by_age_group": [{"age_group": g, "users": n} for g, n in sorted(ages.items())],
        "gender_ratio": [{"gender": g, "users": n, "share": n / users} for g, n in sorted(genders.items())],
        "plays_by_genre": [{"genre": g, "plays": n}
                           for g, n in _counts(conn, _genre.c.name, _primary_genre_join(), where)],
        "top_tracks": [{"track_id": t, "plays": n}
                       for t, n in _counts(conn, _play.c.track_id, _play, where, TOP_N)],
        "top_artists": [{"artist_id": a, "plays": n} for a, n in _counts(
            conn, _artist.c.artist_id, _play.join(_artist, _artist.c.track_id == _play.c.track_id), where, TOP_N)],
    }


def aggregate_overall_stats(day: str | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Job: the overall stats of ``day`` (``YYYY-MM-DD``, ``today`` (default) or ``yesterday``)."""
    stats_day = resolve_day(day, "today")
    with job_context(database_url) as job, job.engine.begin() as conn:
        payload = overall_payload(conn, stats_day, utcnow())
        conn.execute(sa.delete(_overall).where(_overall.c.day == stats_day))
        conn.execute(sa.insert(_overall).values(day=stats_day, payload=payload, computed_at=utcnow()))
    report = {"day": stats_day.isoformat(), "plays": payload["plays"], "active_users": payload["active_users"]}
    log.info("aggregate_overall_stats: %s", report)
    return report


def user_payloads(conn: Connection, day: date) -> dict[int, dict[str, Any]]:
    """Each listener's stats of ``day``: plays per track, artist, primary genre and hour."""
    where = _in_day(day)
    payloads: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"plays": 0, "tracks": [], "artists": [], "genres": [], "hours": [0] * 24})
    user = _play.c.user_id
    parts = {
        "tracks": (_play.c.track_id, _play),
        "artists": (_artist.c.artist_id, _play.join(_artist, _artist.c.track_id == _play.c.track_id)),
        "genres": (_genre.c.name, _primary_genre_join()),
    }
    for name, (key, source) in parts.items():
        plays = sa.func.count()
        rows = conn.execute(sa.select(user, key, plays).select_from(source).where(*where)
                            .group_by(user, key).order_by(user, plays.desc(), key))
        for user_id, value, n in rows:
            payloads[user_id][name].append([value, n])
    hour = hour_of_day(_play.c.played_at, conn.dialect.name)
    for user_id, h, n in conn.execute(sa.select(user, hour, sa.func.count()).where(*where).group_by(user, hour)):
        payloads[user_id]["hours"][h] = n
        payloads[user_id]["plays"] += n
    return dict(payloads)


def aggregate_user_stats(day: str | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Job: every listener's stats of ``day`` (default ``yesterday``, UTC), replacing that day's rows."""
    stats_day = resolve_day(day, "yesterday")
    with job_context(database_url) as job, job.engine.begin() as conn:
        payloads = user_payloads(conn, stats_day)
        conn.execute(sa.delete(_user_stats).where(_user_stats.c.day == stats_day))
        rows = [{"user_id": u, "day": stats_day, "plays": p.pop("plays"), "payload": p, "computed_at": utcnow()}
                for u, p in sorted(payloads.items())]
        if rows:
            conn.execute(sa.insert(_user_stats), rows)
    report = {"day": stats_day.isoformat(), "users": len(rows), "plays": sum(r["plays"] for r in rows)}
    log.info("aggregate_user_stats: %s", report)
    return report
