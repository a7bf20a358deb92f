"""Generated playlists (issue 15): a daily mix and a weekly exploration playlist per active user.

Each run replaces every active user's playlist of its kind in place (same id and name), one
transaction per user: running again for the same day or week gives the same rows, and a
killed run is completed by the next. Discoveries come from the default mix of the trained
engines (popularity while none is trained).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from domain.accounts.tables import User
from domain.catalog.queries import artists_by_track
from domain.columns import utcnow
from domain.playlists.generated import store_generated
from domain.playlists.tables import DAILY_MIX, USER_MADE, WEEKLY_EXPLORATION, Playlist, PlaylistItem
from domain.plays.tables import PlayEvent
from domain.recommendations.service import RecommenderService
from domain.recommendations.user_context import Listener, listener
from domain.settings import GeneratedPlaylistSettings
from jobs.context import job_context, resolve_day
from jobs.timebuckets import day_bounds

log = logging.getLogger("hz45.jobs.generated_playlists")

_play = PlayEvent.__table__
_playlist = Playlist.__table__
_item = PlaylistItem.__table__


def active_users(conn: Connection, since: datetime, until: datetime) -> list[int]:
    """Users with a play in [since, until), by id."""
    return list(conn.execute(sa.select(_play.c.user_id).distinct().where(
        _play.c.played_at >= since, _play.c.played_at < until).order_by(_play.c.user_id)).scalars())


def favourites(conn: Connection, user_id: int, since: datetime, until: datetime) -> list[int]:
    """The user's favourites of [since, until), best first: tracks played then or rated 4+ in
    their own playlists, scored by plays in the window plus rating (ties: track id)."""
    plays = dict(conn.execute(sa.select(_play.c.track_id, sa.func.count()).where(
        _play.c.user_id == user_id, _play.c.played_at >= since, _play.c.played_at < until)
        .group_by(_play.c.track_id)).all())
    ratings = dict(conn.execute(
        sa.select(_item.c.track_id, sa.func.max(_item.c.rating)).join(_playlist, _playlist.c.id == _item.c.playlist_id)
        .where(_playlist.c.user_id == user_id, _playlist.c.kind == USER_MADE, _item.c.added_at < until)
        .group_by(_item.c.track_id)).all())
    scores = {t: n + (ratings.get(t) or 0) for t, n in plays.items()}
    scores.update({t: plays.get(t, 0) + r for t, r in ratings.items() if r is not None and r >= 4})
    return sorted(scores, key=lambda t: (-scores[t], t))


def capped(track_ids: Iterable[int], artist_of: dict[int, int | None], limit: int, per_artist: int) -> list[int]:
    """The first ``limit`` distinct tracks of ``track_ids`` with at most ``per_artist`` per (first) artist."""
    chosen: list[int] = []
    counts: dict[int | None, int] = {}
    for track in dict.fromkeys(track_ids):
        artist = artist_of.get(track)
        if counts.get(artist, 0) >= per_artist and artist is not None:
            continue
        counts[artist] = counts.get(artist, 0) + 1
        chosen.append(track)
        if len(chosen) >= limit:
            break
    return chosen


def interleave(first: list[int], second: list[int]) -> list[int]:
    """first[0], second[0], first[1], ...; the longer list's rest at the end."""
    merged = [t for pair in zip(first, second, strict=False) for t in pair]
    n = min(len(first), len(second))
    return merged + first[n:] + second[n:]


def _artist_of(session: Session, track_ids: list[int]) -> dict[int, int | None]:
    return {t: (a[0].id if a else None) for t, a in zip(track_ids, artists_by_track(session, track_ids), strict=True)}


def _discoveries(service: RecommenderService, person: Listener, k: int, per_artist: int) -> list[int]:
    """Recommendations of the default mix the user never played nor rated."""
    exclude = set(person.played) | set(person.rated)
    mix = service.resolve_mix(None, None, "default")
    return [i.item_id for i in service.recommend(person.context, k, mix, exclude, max_per_artist=per_artist)]


def daily_mix(conn: Connection, session: Session, service: RecommenderService, person: Listener,
              day: date, until: datetime, config: GeneratedPlaylistSettings) -> list[int]:
    """Favourites and discoveries interleaved; the favourites drawn (deterministically per user
    and day) from the user's top ``2 × tracks``."""
    pool = favourites(conn, person.context.user_id, until - timedelta(days=config.favourites_days), until)
    pool = pool[:2 * config.tracks]
    rng = random.Random(f"{DAILY_MIX}:{person.context.user_id}:{day.isoformat()}")
    picked = set(rng.sample(pool, min(len(pool), config.tracks)))
    known = [t for t in pool if t in picked]
    new = _discoveries(service, person, 2 * config.tracks, config.max_per_artist)
    # half and half where both suffice; the other side fills what one lacks
    known_share = max(config.tracks // 2, config.tracks - len(new))
    merged = interleave(known[:known_share], new) + known[known_share:]
    return capped(merged, _artist_of(session, merged), config.tracks, config.max_per_artist)


def weekly_exploration(conn: Connection, session: Session, service: RecommenderService, person: Listener,
                       day: date, until: datetime, config: GeneratedPlaylistSettings) -> list[int]:
    """Only tracks the user never played: the default mix's picks, more than needed, played ones skipped."""
    new = [t for t in _discoveries(service, person, 3 * config.tracks, config.max_per_artist) if t not in person.played]
    return capped(new, _artist_of(session, new), config.tracks, config.max_per_artist)


Builder = Callable[[Connection, Session, RecommenderService, Listener, date, datetime, GeneratedPlaylistSettings],
                   list[int]]


def _generate(kind: str, for_day: date, build: Builder, database_url: str | None, **context: Any) -> dict[str, Any]:
    with job_context(database_url, **context) as job:
        config = job.settings.generated_playlists
        until = min(utcnow(), day_bounds(for_day)[1] if kind == DAILY_MIX else day_bounds(for_day + timedelta(days=6))[1])
        service = RecommenderService(job.settings, job.engine)
        service.refresh()
        with job.engine.connect() as conn:
            users = active_users(conn, until - timedelta(days=config.active_days), until)
        tracks = 0
        for n, user_id in enumerate(users, start=1):
            with job.engine.begin() as conn, Session(bind=conn) as session:
                person = listener(session, session.get(User, user_id), job.settings.recommenders.recent_window_days,
                                  now=until)
                chosen = build(conn, session, service, person, for_day, until, config)
                store_generated(conn, user_id, kind, for_day, chosen)
            tracks += len(chosen)
            if n % config.progress_every == 0:
                log.info("%s %s: %d of %d users", kind, for_day, n, len(users))
    report = {"kind": kind, "for": for_day.isoformat(), "users": len(users), "tracks": tracks}
    log.info("generated playlists: %s", report)
    return report


def generate_daily_mixes(day: str | None = None, database_url: str | None = None, **context: Any) -> dict[str, Any]:
    """Job: every active user's daily mix of ``day`` (``YYYY-MM-DD``, ``today`` (default), ``yesterday``; UTC)."""
    return _generate(DAILY_MIX, resolve_day(day, "today"), daily_mix, database_url, **context)


def generate_weekly_exploration(week: str | None = None, database_url: str | None = None,
                                **context: Any) -> dict[str, Any]:
    """Job: every active user's exploration playlist of the week of ``week`` (any day of it, as
    for ``day``; default this week), stored as generated for its Monday."""
    any_day = resolve_day(week, "today")
    return _generate(WEEKLY_EXPLORATION, any_day - timedelta(days=any_day.weekday()), weekly_exploration,
                     database_url, **context)
