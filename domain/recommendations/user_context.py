"""What the recommenders need to know about a user at query time, read from the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session, select

from domain.accounts.age_groups import age_group
from domain.accounts.tables import User
from domain.catalog.tables import Track
from domain.playlists.tables import Playlist, PlaylistItem
from domain.plays.tables import PlayEvent
from engines.base import UserContext
from engines.feedback import confidence

RECENT_SEEDS = 2  # the deck's recipe: the user's two most played recent tracks
HISTORY_LIMIT = 2000  # the user's most recently played or rated tracks engines score from


def user_context(session: Session, user: User, window_days: int, seed_ids: tuple[int, ...] = ()) -> UserContext:
    """Demographics, the most played tracks of the recent window, and explicit seeds."""
    since = datetime.now(UTC) - timedelta(days=window_days)
    plays = sa.func.count().label("plays")
    recent = session.exec(
        select(PlayEvent.track_id, plays)
        .where(PlayEvent.user_id == user.id, PlayEvent.played_at >= since)
        .group_by(PlayEvent.track_id)
        .order_by(plays.desc(), sa.func.max(PlayEvent.played_at).desc())
        .limit(RECENT_SEEDS)
    ).all()
    history_ids, history_weights = user_history(session, user.id)
    return UserContext(
        user_id=user.id,
        age_group=age_group(user.birth_date, datetime.now(UTC).date()),
        gender=user.gender,
        recent_item_ids=tuple(r[0] for r in recent),
        seed_item_ids=seed_ids,
        history_item_ids=history_ids,
        history_weights=history_weights,
    )


def user_history(session: Session, user_id: int) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Every track the user played or rated (the latest ``HISTORY_LIMIT``) with its confidence,
    computed as at training time (:func:`engines.feedback.confidence`), as of now."""
    last = sa.func.max(PlayEvent.played_at).label("last")
    plays = session.exec(
        select(PlayEvent.track_id, sa.func.count().label("n"), last)
        .where(PlayEvent.user_id == user_id).group_by(PlayEvent.track_id).order_by(last.desc()).limit(HISTORY_LIMIT)
    ).all()
    ratings = session.exec(
        select(PlaylistItem.track_id, PlaylistItem.rating).join(Playlist).where(Playlist.user_id == user_id)
        .order_by(PlaylistItem.added_at.desc()).limit(HISTORY_LIMIT)
    ).all()
    counts = {track: float(n) for track, n, _ in plays}
    rated: dict[int, float] = {}
    for track, rating in ratings:
        rated.setdefault(track, float(rating))  # the latest rating of a track in several playlists
    ids = list(dict.fromkeys([*counts, *rated]))
    weights = confidence(np.array([counts.get(i, 0.0) for i in ids]), np.array([rated.get(i, np.nan) for i in ids]))
    return tuple(ids), tuple(float(w) for w in weights)


def recently_played_track_ids(session: Session, user_id: int, days: int) -> set[int]:
    """Tracks the user played in the last ``days`` days."""
    since = datetime.now(UTC) - timedelta(days=days)
    return set(session.exec(
        select(PlayEvent.track_id).where(PlayEvent.user_id == user_id, PlayEvent.played_at >= since).distinct()
    ).all())


def playlist_track_ids(session: Session, user_id: int) -> set[int]:
    """Every track in any of the user's playlists."""
    rows = session.exec(
        select(PlaylistItem.track_id).join(Playlist).where(Playlist.user_id == user_id).distinct()
    ).all()
    return set(rows)


def existing_track_ids(session: Session, track_ids: list[int]) -> set[int]:
    """Which of ``track_ids`` exist."""
    if not track_ids:
        return set()
    return set(session.exec(select(Track.id).where(Track.id.in_(track_ids))).all())
