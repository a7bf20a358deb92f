"""The listening log, charts, statistics and model versions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.columns import BigId, UTCDateTime


class PlayEvent(SQLModel, table=True):
    """One play of a track by a user. Append-only."""

    __tablename__ = "play_event"
    __table_args__ = (sa.Index("ix_play_event_user_played", "user_id", "played_at"),)
    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    track_id: int = Field(foreign_key="track.id")
    played_at: datetime = Field(sa_type=UTCDateTime, index=True)
    source: str | None = Field(default=None, max_length=200)


