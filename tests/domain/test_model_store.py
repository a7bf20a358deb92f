"""Model versions: distinct version numbers and one active version per engine, even when
several workers store and activate versions of one engine at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from domain.db import create_db_engine
from domain.recommendations.model_store import activate, active_versions, load_artifact, store_version
from domain.recommendations.tables import ModelVersion

WORKERS = 8


@pytest.mark.timeout(120)
def test_concurrent_stores_and_activations_get_distinct_versions_and_one_active(db_url):
    engine = create_db_engine(db_url, pool_size=WORKERS, max_overflow=0)
    start = threading.Barrier(WORKERS)

    def retrain(worker: int) -> tuple[int, int]:
        start.wait()
        with Session(engine, expire_on_commit=False) as session:  # as jobs.retrain does
            row = store_version(session, "svd", b"model %d" % worker, {"worker": worker}, {})
            activate(session, row.id)
            session.commit()
        return row.id, row.version

    try:
        for _ in range(3):
            with ThreadPoolExecutor(WORKERS) as pool:
                stored = list(pool.map(retrain, range(WORKERS)))
        with Session(engine) as session:
            versions = session.exec(select(ModelVersion.version).where(ModelVersion.engine == "svd")).all()
            active = session.exec(select(ModelVersion).where(ModelVersion.active)).all()
            assert sorted(versions) == list(range(1, 3 * WORKERS + 1))
            assert len(active) == 1
            assert active_versions(session)["svd"].id == active[0].id
            assert load_artifact(session, stored[0][0]).startswith(b"model ")
    finally:
        engine.dispose()


def test_the_database_refuses_a_second_active_version_of_an_engine(db_engine):
    with Session(db_engine) as session:
        session.add(ModelVersion(engine="svd", version=1, active=True))
        session.add(ModelVersion(engine="ease", version=1, active=True))  # another engine may
        session.add(ModelVersion(engine="svd", version=2))  # inactive ones too
        session.commit()
        session.add(ModelVersion(engine="svd", version=3, active=True))
        with pytest.raises(IntegrityError):
            session.commit()
