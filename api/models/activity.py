"""The listening log, charts, statistics and model versions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.models.types import BigId, UTCDateTime, utcnow


class PlayEvent(SQLModel, table=True):
    """One play of a track by a user. Append-only."""

    __tablename__ = "play_event"
    __table_args__ = (sa.Index("ix_play_event_user_played", "user_id", "played_at"),)
    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    track_id: int = Field(foreign_key="track.id")
    played_at: datetime = Field(sa_type=UTCDateTime, index=True)
    source: str | None = Field(default=None, max_length=200)


class ChartHourly(SQLModel, table=True):
    """A track's rank in a one-hour window of plays."""

    __tablename__ = "chart_hourly"
    __table_args__ = (sa.UniqueConstraint("window_start", "track_id"),)
    window_start: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    rank: int = Field(primary_key=True)
    track_id: int = Field(foreign_key="track.id")
    plays: int


class ChartTop50(SQLModel, table=True):
    """The daily Top 50 imported from a Spotify playlist."""

    __tablename__ = "chart_top50"
    chart_date: date = Field(primary_key=True)
    rank: int = Field(primary_key=True)
    track_id: int = Field(foreign_key="track.id")
    source_playlist: str = Field(max_length=64)


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


class ModelVersion(SQLModel, table=True):
    """A trained model of one engine; at most one version per engine is active."""

    __tablename__ = "model_version"
    __table_args__ = (sa.UniqueConstraint("engine", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    engine: str = Field(max_length=100, index=True)
    version: int
    trained_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    metrics: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    artifact_uri: str | None = Field(default=None, max_length=500)
    active: bool = False


class ModelArtifact(SQLModel, table=True):
    """The bytes of a model version, so any machine sharing the database can load it."""

    __tablename__ = "model_artifact"
    model_version_id: int = Field(foreign_key="model_version.id", primary_key=True, ondelete="CASCADE")
    data: bytes = Field(sa_type=sa.LargeBinary)
    sha256: str = Field(max_length=64)


class JobState(SQLModel, table=True):
    """Progress markers of incremental jobs (e.g. the last aggregated event id)."""

    __tablename__ = "job_state"
    name: str = Field(max_length=100, primary_key=True)
    value: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
