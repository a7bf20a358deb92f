"""Chart rows: hourly windows and the daily Top 50."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.columns import UTCDateTime


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
