"""Artifact signing: with a key, an unsigned or badly signed artifact is refused before it is read."""

from __future__ import annotations

import hashlib
import pickle

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from domain.db import create_db_engine
from domain.recommendations.model_store import ArtifactRefused, activate, load_artifact, sign_versions, store_version
from domain.recommendations.service import RecommenderService
from domain.recommendations.tables import ModelArtifact
from tests.support.demo import seed_small_demo
from tests.support.pickles import CreatesAFile
from tests.support.settings import make_settings

KEY = b"a key only the operators know"


def test_a_signed_artifact_loads_with_its_key_and_a_tampered_one_does_not(db_engine):
    with Session(db_engine) as session:
        row = store_version(session, "svd", b"model bytes", {}, {}, key=KEY)
        session.commit()
        assert load_artifact(session, row.id, KEY) == b"model bytes"
        assert load_artifact(session, row.id) == b"model bytes"  # no key: the hash is still checked
        with pytest.raises(ArtifactRefused, match="bad signature"):
            load_artifact(session, row.id, b"another key")
        # A forger who can write rows but has no key: the content and its sha256 both match.
        forged = b"forged model"
        session.exec(sa.update(ModelArtifact).where(ModelArtifact.model_version_id == row.id).values(
            data=forged, sha256=hashlib.sha256(forged).hexdigest()))
        session.commit()
        with pytest.raises(ArtifactRefused, match="bad signature"):
            load_artifact(session, row.id, KEY)


def test_an_unsigned_artifact_is_refused_until_the_operator_signs_the_stored_versions(db_engine):
    with Session(db_engine) as session:
        row = store_version(session, "svd", b"stored before signing", {}, {})
        session.commit()
        with pytest.raises(ArtifactRefused, match="not signed"):
            load_artifact(session, row.id, KEY)
        assert sign_versions(session, KEY) == 1
        session.commit()
        assert load_artifact(session, row.id, KEY) == b"stored before signing"


def test_signing_refuses_a_corrupt_artifact(db_engine):
    with Session(db_engine) as session:
        row = store_version(session, "svd", b"original", {}, {})
        session.exec(sa.update(ModelArtifact).where(ModelArtifact.model_version_id == row.id).values(data=b"changed"))
        session.commit()
        with pytest.raises(ArtifactRefused, match="corrupt"):
            sign_versions(session, KEY)


def test_the_api_never_reads_an_unsigned_pickle_when_signing_is_on(tmp_path, sqlite_url, monkeypatch):
    engine = create_db_engine(sqlite_url)
    seed_small_demo(engine)
    target = tmp_path / "pwned"
    with Session(engine) as session:
        activate(session, store_version(session, "svd", pickle.dumps(CreatesAFile(str(target))), {}, {}).id)
        session.commit()
    settings = make_settings(sqlite_url, tmp_path, recommenders={"artifact_key": KEY.decode()})
    read = []
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: read.append(a))  # nothing may even try
    service = RecommenderService(settings, engine)
    service.refresh()
    health = service.health("svd")
    assert health.status == "DEGRADED" and "not signed" in health.last_error
    assert not read and not target.exists()
    engine.dispose()
