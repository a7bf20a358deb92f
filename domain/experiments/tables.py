"""Recommendation impressions: one row per track served to a user."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.columns import BigId, UTCDateTime


class RecommendationImpression(SQLModel, table=True):
    """A track shown to a user at ``position`` (1-based) of a list served with ``mix_id``.

    ``experiment`` and ``arm`` are set when the mix was an experiment arm. Append-only.
    """

    __tablename__ = "recommendation_impression"
    __table_args__ = (sa.Index("ix_recommendation_impression_experiment", "experiment", "arm", "served_at"),)
    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    mix_id: str = Field(max_length=200)
    experiment: str | None = Field(default=None, max_length=100)
    arm: str | None = Field(default=None, max_length=100)
    track_id: int = Field(foreign_key="track.id")
    position: int
    served_at: datetime = Field(sa_type=UTCDateTime)
    surface: str = Field(max_length=40)
