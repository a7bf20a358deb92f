"""Each listener's most similar listeners (cosine over recent play counts), best first."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from domain.columns import UTCDateTime, utcnow


class SimilarUser(SQLModel, table=True):
    __tablename__ = "similar_user"
    user_id: int = Field(foreign_key="app_user.id", primary_key=True, ondelete="CASCADE")
    rank: int = Field(primary_key=True)  # 1 = most similar
    neighbour_id: int = Field(foreign_key="app_user.id", ondelete="CASCADE")
    similarity: float
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
