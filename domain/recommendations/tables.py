"""Trained model versions and their stored artifacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.columns import UTCDateTime, utcnow


class ModelVersion(SQLModel, table=True):
    """A trained model of one engine; at most one version per engine is active."""

    __tablename__ = "model_version"
    __table_args__ = (
        sa.UniqueConstraint("engine", "version"),
        # One active version per engine (a partial index: PostgreSQL and SQLite both have them).
        sa.Index("uq_model_version_active_engine", "engine", unique=True,
                 postgresql_where=sa.text("active"), sqlite_where=sa.text("active")),
    )
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
    # HMAC-SHA256 under recommenders.artifact_key, when signing is on
    signature: str | None = Field(default=None, max_length=64)
