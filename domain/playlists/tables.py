"""Playlists and their rated items; generated playlists (daily mix, weekly exploration) are read-only."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.columns import UTCDateTime, utcnow

USER_MADE, DAILY_MIX, WEEKLY_EXPLORATION = "user", "daily_mix", "weekly_exploration"
GENERATED_KINDS = (DAILY_MIX, WEEKLY_EXPLORATION)


class Playlist(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("user_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    is_default: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # USER_MADE, or one of GENERATED_KINDS (written by jobs.generated_playlists only)
    kind: str = Field(default=USER_MADE, max_length=32, sa_column_kwargs={"server_default": USER_MADE})
    generated_for: date | None = None  # the day (daily mix) or the week's Monday it was generated for


class PlaylistItem(SQLModel, table=True):
    __tablename__ = "playlist_item"
    __table_args__ = (sa.UniqueConstraint("playlist_id", "track_id"),)
    id: int | None = Field(default=None, primary_key=True)
    playlist_id: int = Field(foreign_key="playlist.id", index=True, ondelete="CASCADE")
    track_id: int = Field(foreign_key="track.id", index=True)
    rating: int | None = Field(default=None, ge=0, le=5)  # the user's rating; None in generated playlists
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    position: int | None = None  # the order of a generated playlist (0 first); None in user-made ones
