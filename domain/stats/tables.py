"""Daily listening statistics, per user and for the whole service."""

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
