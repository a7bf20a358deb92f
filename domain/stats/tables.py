"""Listening statistics: daily rows (per user and overall) and the hourly rollups of named ranges."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.columns import UTCDateTime, utcnow


class UserDailyStats(SQLModel, table=True):
    __tablename__ = "user_daily_stats"
    user_id: int = Field(foreign_key="app_user.id", primary_key=True, ondelete="CASCADE")
    day: date = Field(primary_key=True)
    plays: int = 0
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OverallDailyStats(SQLModel, table=True):
    __tablename__ = "overall_daily_stats"
    day: date = Field(primary_key=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ListeningRollup(SQLModel, table=True):
    """Plays of a track by a listener in one hour of their own time zone (``jobs.listening_stats``)."""

    __tablename__ = "listening_rollup"
    user_id: int = Field(foreign_key="app_user.id", primary_key=True, ondelete="CASCADE")
    day: date = Field(primary_key=True)  # the listener's local day
    hour: int = Field(primary_key=True)  # the listener's local hour, 0-23
    track_id: int = Field(foreign_key="track.id", primary_key=True)
    plays: int = 0


class OverallListeningRollup(SQLModel, table=True):
    """Plays of a track on the whole service in one UTC hour."""

    __tablename__ = "overall_listening_rollup"
    day: date = Field(primary_key=True)
    hour: int = Field(primary_key=True)
    track_id: int = Field(foreign_key="track.id", primary_key=True)
    plays: int = 0


class ArtistFirstPlay(SQLModel, table=True):
    """The listener's local day of their first play of an artist (new artists discovered)."""

    __tablename__ = "artist_first_play"
    __table_args__ = (sa.Index("ix_artist_first_play_user_day", "user_id", "first_day", "artist_id"),)
    user_id: int = Field(foreign_key="app_user.id", primary_key=True, ondelete="CASCADE")
    artist_id: int = Field(foreign_key="artist.id", primary_key=True)
    first_day: date


class OverallArtistFirstPlay(SQLModel, table=True):
    """The UTC day of an artist's first play on the service."""

    __tablename__ = "overall_artist_first_play"
    artist_id: int = Field(foreign_key="artist.id", primary_key=True)
    first_day: date = Field(index=True)
