"""Playlists and their rated items."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.columns import UTCDateTime, utcnow


class Playlist(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("user_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    is_default: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PlaylistItem(SQLModel, table=True):
    __tablename__ = "playlist_item"
    __table_args__ = (sa.UniqueConstraint("playlist_id", "track_id"),)
    id: int | None = Field(default=None, primary_key=True)
    playlist_id: int = Field(foreign_key="playlist.id", index=True, ondelete="CASCADE")
    track_id: int = Field(foreign_key="track.id", index=True)
    rating: int = Field(ge=0, le=5)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
