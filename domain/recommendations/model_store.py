"""Versioned model artifacts in the database, so every API server and worker can load them.

Artifacts live in ``model_artifact`` next to their ``model_version`` row: machines that share
only PostgreSQL (and Redis) all see the same models. At most one version per engine is active
(a partial unique index says so); storing and activating take a per-engine lock, so workers
retraining the same engine at once get distinct version numbers and one active version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from domain.columns import utcnow
from domain.recommendations.tables import ModelArtifact, ModelVersion
from domain.sql import lock_for_transaction


@dataclass(frozen=True)
class ActiveVersion:
    engine: str
    id: int
    version: int
    trained_at: datetime
    metrics: dict[str, Any]
    params: dict[str, Any]


def store_version(
    session: Session, engine: str, blob: bytes, params: dict[str, Any], metrics: dict[str, Any]
) -> ModelVersion:
    """Save a new (inactive) version of ``engine`` with its artifact; returns the row.

    The engine stays locked until the session's transaction ends: commit soon after.
    """
    lock_for_transaction(session, ModelVersion.__table__, engine)
    latest = session.exec(select(sa.func.max(ModelVersion.version)).where(ModelVersion.engine == engine)).one()
    row = ModelVersion(
        engine=engine, version=(latest or 0) + 1, trained_at=utcnow(), params=params, metrics=metrics,
    )
    session.add(row)
    session.flush()
    row.artifact_uri = f"db://model_artifact/{row.id}"
    session.add(ModelArtifact(model_version_id=row.id, data=blob, sha256=hashlib.sha256(blob).hexdigest()))
    session.flush()
    return row


def activate(session: Session, version_id: int) -> None:
    """Make ``version_id`` the only active version of its engine (locked until the transaction ends)."""
    row = session.get(ModelVersion, version_id)
    if row is None:
        raise LookupError(f"no model version {version_id}")
    lock_for_transaction(session, ModelVersion.__table__, row.engine)
    session.exec(sa.update(ModelVersion).where(ModelVersion.engine == row.engine).values(active=False))
    session.exec(sa.update(ModelVersion).where(ModelVersion.id == version_id).values(active=True))


def active_versions(session: Session) -> dict[str, ActiveVersion]:
    """The active version of every engine that has one."""
    rows = session.exec(select(ModelVersion).where(ModelVersion.active)).all()
    return {
        r.engine: ActiveVersion(r.engine, r.id, r.version, r.trained_at, dict(r.metrics), dict(r.params))
        for r in rows
    }


def load_artifact(session: Session, version_id: int) -> bytes:
    """The artifact bytes of a version, checked against their recorded hash."""
    artifact = session.get(ModelArtifact, version_id)
    if artifact is None:
        raise LookupError(f"model version {version_id} has no artifact")
    if hashlib.sha256(artifact.data).hexdigest() != artifact.sha256:
        raise ValueError(f"artifact of model version {version_id} is corrupt")
    return artifact.data
