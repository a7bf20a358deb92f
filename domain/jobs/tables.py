"""Bookkeeping of recurring jobs (e.g. the charts job's high-water mark)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.columns import UTCDateTime, utcnow


class JobState(SQLModel, table=True):
    """Progress markers of incremental jobs (e.g. the last aggregated event id)."""

    __tablename__ = "job_state"
    name: str = Field(max_length=100, primary_key=True)
    value: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
