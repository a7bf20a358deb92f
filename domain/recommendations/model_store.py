"""Versioned model artifacts in the database, so every API server and worker can load them.

Artifacts live in ``model_artifact`` next to their ``model_version`` row: machines that share
only PostgreSQL (and Redis) all see the same models. At most one version per engine is active
(a partial unique index says so); storing and activating take a per-engine lock, so workers
retraining the same engine at once get distinct version numbers and one active version.

With a signing key (``recommenders.artifact_key``) every artifact stored gets an HMAC-SHA256
signature, and loading refuses an unsigned or badly signed artifact before returning a byte of
it: a row written by someone without the key is never handed to an engine.
"""

from __future__ import annotations

import hashlib
import hmac
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


class ArtifactRefused(ValueError):
    """An artifact failed its integrity or signature check; its content was not read."""


def signature(key: bytes, blob: bytes) -> str:
    """The HMAC-SHA256 of an artifact under ``key``, as hex."""
    return hmac.new(key, blob, hashlib.sha256).hexdigest()


def store_version(
    session: Session, engine: str, blob: bytes, params: dict[str, Any], metrics: dict[str, Any],
    key: bytes | None = None,
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
    session.add(ModelArtifact(model_version_id=row.id, data=blob, sha256=hashlib.sha256(blob).hexdigest(),
                              signature=signature(key, blob) if key else None))
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


def deactivate(session: Session, engine: str) -> int:
    """Leave ``engine`` with no active version (API servers unload it); returns rows changed."""
    lock_for_transaction(session, ModelVersion.__table__, engine)
    result = session.exec(sa.update(ModelVersion).where(ModelVersion.engine == engine, ModelVersion.active)
                          .values(active=False))
    return result.rowcount


def versions(session: Session, engine: str | None = None) -> list[ModelVersion]:
    """Stored versions, newest first per engine."""
    query = select(ModelVersion).order_by(ModelVersion.engine, ModelVersion.version.desc())
    if engine is not None:
        query = query.where(ModelVersion.engine == engine)
    return list(session.exec(query).all())


def sign_versions(session: Session, key: bytes) -> int:
    """Sign every stored artifact whose content matches its recorded hash; returns how many.

    For turning signing on: the operator vouches for the artifacts stored so far.
    """
    signed = 0
    for artifact in session.exec(select(ModelArtifact)).all():
        if hashlib.sha256(artifact.data).hexdigest() != artifact.sha256:
            raise ArtifactRefused(f"artifact of model version {artifact.model_version_id} is corrupt: not signed")
        artifact.signature = signature(key, artifact.data)
        session.add(artifact)
        signed += 1
    return signed


def active_versions(session: Session) -> dict[str, ActiveVersion]:
    """The active version of every engine that has one."""
    rows = session.exec(select(ModelVersion).where(ModelVersion.active)).all()
    return {
        r.engine: ActiveVersion(r.engine, r.id, r.version, r.trained_at, dict(r.metrics), dict(r.params))
        for r in rows
    }


def load_artifact(session: Session, version_id: int, key: bytes | None = None) -> bytes:
    """The artifact bytes of a version, checked against their signature (with ``key``) and hash."""
    artifact = session.get(ModelArtifact, version_id)
    if artifact is None:
        raise LookupError(f"model version {version_id} has no artifact")
    if key is not None:
        if not artifact.signature:
            raise ArtifactRefused(f"artifact of model version {version_id} is not signed (hz45 models sign)")
        if not hmac.compare_digest(signature(key, artifact.data), artifact.signature):
            raise ArtifactRefused(f"artifact of model version {version_id} has a bad signature")
    if hashlib.sha256(artifact.data).hexdigest() != artifact.sha256:
        raise ArtifactRefused(f"artifact of model version {version_id} is corrupt")
    return artifact.data
