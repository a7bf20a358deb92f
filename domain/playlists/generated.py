"""Storing generated playlists: one per user and kind, replaced in place on each run."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from domain.columns import utcnow
from domain.playlists.tables import DAILY_MIX, WEEKLY_EXPLORATION, Playlist, PlaylistItem

TITLES = {DAILY_MIX: "Daily Mix", WEEKLY_EXPLORATION: "Weekly Exploration"}

_playlist = Playlist.__table__
_item = PlaylistItem.__table__


def free_name(conn: Connection, user_id: int, title: str) -> str:
    """``title``, or ``title 2``, ``title 3``, ...: the first name the user has no playlist of
    (names are unique per user, and a user may have named a playlist of their own like this)."""
    taken = set(conn.execute(sa.select(_playlist.c.name).where(
        _playlist.c.user_id == user_id, _playlist.c.name.like(f"{title}%"))).scalars())
    number = 1
    while (name := title if number == 1 else f"{title} {number}") in taken:
        number += 1
    return name


def store_generated(conn: Connection, user_id: int, kind: str, generated_for: date, track_ids: list[int]) -> int:
    """Make ``track_ids`` (in order) the user's playlist of ``kind`` for ``generated_for``; the
    playlist keeps its id and name across runs. Returns its id."""
    playlist_id = conn.execute(sa.select(_playlist.c.id).where(
        _playlist.c.user_id == user_id, _playlist.c.kind == kind).order_by(_playlist.c.id)).scalar()
    if playlist_id is None:
        playlist_id = conn.execute(sa.insert(_playlist).values(
            user_id=user_id, name=free_name(conn, user_id, TITLES[kind]), is_default=False, kind=kind,
            generated_for=generated_for, created_at=utcnow()).returning(_playlist.c.id)).scalar_one()
    else:
        conn.execute(sa.update(_playlist).where(_playlist.c.id == playlist_id).values(generated_for=generated_for))
    conn.execute(sa.delete(_item).where(_item.c.playlist_id == playlist_id))
    now = utcnow()
    if track_ids:
        conn.execute(sa.insert(_item), [
            {"playlist_id": playlist_id, "track_id": t, "rating": None, "position": i, "added_at": now}
            for i, t in enumerate(track_ids)])
    return playlist_id
