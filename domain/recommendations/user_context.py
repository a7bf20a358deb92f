"""What the recommenders need to know about a user at query time, read from the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session, select

from domain.accounts.age_groups import age_group
from domain.accounts.tables import User
from domain.catalog.tables import Track
from domain.playlists.tables import USER_MADE, Playlist, PlaylistItem
from domain.plays.tables import PlayEvent
from engines.base import UserContext
from engines.feedback import confidence

RECENT_SEEDS = 2  # the deck's recipe: the user's two most played recent tracks
HISTORY_LIMIT = 2000  # the user's most recently played or rated tracks engines score from


@dataclass(frozen=True)
class Listener:
    """What one answer needs about its user: the engines' context and the tracks to leave out."""

    context: UserContext
    rated: frozenset[int]  # every track in any of the user's playlists
    played: dict[int, datetime]  # each track the user ever played, with its last play


def listener(session: Session, user: User, window_days: int, seed_ids: tuple[int, ...] = (),
             now: datetime | None = None) -> Listener:
    """The user's context and rated tracks, in two queries (one over plays, one over ratings).

    The context holds demographics, the most played tracks of the recent ``window_days``
    (ties: latest first), the explicit seeds, and every track the user played or rated (the
    latest ``HISTORY_LIMIT`` of each) with its confidence, as at training time
    (:func:`engines.feedback.confidence`).
    """
    now = now or datetime.now(UTC)
    since = now - timedelta(days=window_days)
    last = sa.func.max(PlayEvent.played_at)
    plays = session.exec(
        select(PlayEvent.track_id, sa.func.count(), last, sa.func.count().filter(PlayEvent.played_at >= since))
        .where(PlayEvent.user_id == user.id).group_by(PlayEvent.track_id)
    ).all()
    ratings = session.exec(
        select(PlaylistItem.track_id, PlaylistItem.rating).join(Playlist)
        .where(Playlist.user_id == user.id, Playlist.kind == USER_MADE)  # generated items are no ratings
        .order_by(PlaylistItem.added_at.desc(), PlaylistItem.id.desc())
    ).all()
    by_last = sorted(plays, key=lambda row: row[2], reverse=True)
    recent = sorted((row for row in by_last if row[3]), key=lambda row: row[3], reverse=True)[:RECENT_SEEDS]
    counts = {track: float(n) for track, n, _, _ in by_last[:HISTORY_LIMIT]}
    rated: dict[int, float] = {}
    for track, rating in ratings[:HISTORY_LIMIT]:
        rated.setdefault(track, float(rating))  # the latest rating of a track in several playlists
    ids = list(dict.fromkeys([*counts, *rated]))
    weights = confidence(np.array([counts.get(i, 0.0) for i in ids]), np.array([rated.get(i, np.nan) for i in ids]))
    context = UserContext(
        user_id=user.id,
        age_group=age_group(user.birth_date, now.date()),
        gender=user.gender,
        recent_item_ids=tuple(row[0] for row in recent),
        seed_item_ids=seed_ids,
        history_item_ids=tuple(ids),
        history_weights=tuple(float(w) for w in weights),
    )
    return Listener(context, frozenset(track for track, _ in ratings), {row[0]: row[2] for row in plays})


def user_context(session: Session, user: User, window_days: int, seed_ids: tuple[int, ...] = ()) -> UserContext:
    """The engines' context of the user (see :func:`listener`)."""
    return listener(session, user, window_days, seed_ids).context


def played_since(played: dict[int, datetime], days: int, now: datetime | None = None) -> set[int]:
    """Tracks of ``played`` (:attr:`Listener.played`) last played in the last ``days`` days."""
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    return {track for track, last in played.items() if last >= since}


def existing_track_ids(session: Session, track_ids: list[int]) -> set[int]:
    """Which of ``track_ids`` exist."""
    if not track_ids:
        return set()
    return set(session.exec(select(Track.id).where(Track.id.in_(track_ids))).all())
