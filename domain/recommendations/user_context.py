"""What the recommenders need to know about a user at query time, read from the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from domain.accounts.age_groups import age_group
from domain.accounts.tables import User
from domain.catalog.tables import Track
from domain.playlists.tables import Playlist, PlaylistItem
from domain.plays.tables import PlayEvent
from engines.base import UserContext

RECENT_SEEDS = 2  # the deck's recipe: the user's two most played recent tracks


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
    return UserContext(
        user_id=user.id,
        age_group=age_group(user.birth_date, datetime.now(UTC).date()),
        gender=user.gender,
        recent_item_ids=tuple(r[0] for r in recent),
        seed_item_ids=seed_ids,
    )


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
