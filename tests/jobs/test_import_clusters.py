"""Imported tracks get content clusters without an admin: the imports queue a retrain of the
trained engines that learn from the catalog."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from domain.catalog.tables import AudioFeatures, Track
from domain.jobs.queues import fetch_job, inprocess_runner
from domain.recommendations.model_store import active_versions
from jobs.import_csv import import_csv
from jobs.ingest import import_top50
from jobs.retrain import train_engines
from tests.support.demo import small_demo_database
from tests.support.settings import make_settings


@pytest.fixture
def content_trained(tmp_path, sqlite_template, monkeypatch):
    """The small demo with the content engine trained; jobs run in this process."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    url, engine = small_demo_database(tmp_path, sqlite_template)
    train_engines(["content_gmm"], settings=make_settings(url), db_engine=engine)
    yield url, engine
    engine.dispose()


def unclustered(engine) -> int:
    """Tracks with audio features but no content cluster."""
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(AudioFeatures)
                            .where(AudioFeatures.gmm_cluster.is_(None))).scalar()


def wait_for(queued: list[dict]) -> list[str]:
    inprocess_runner().wait(timeout=300)
    return [fetch_job(q["job_id"]).status for q in queued]


def test_a_csv_import_queues_the_content_retrain_and_the_new_tracks_get_clusters(content_trained, small_csv):
    url, engine = content_trained
    assert unclustered(engine) == 0
    report = import_csv(str(small_csv), database_url=url)
    assert [q["engine"] for q in report["retrain_jobs"]] == ["content_gmm"]  # the one trained engine needing items
    assert unclustered(engine) == 40  # until the queued job has run
    assert wait_for(report["retrain_jobs"]) == ["finished"]
    assert unclustered(engine) == 0
    with Session(engine) as session:
        assert active_versions(session)["content_gmm"].version == 2


def test_no_retrain_is_queued_when_asked_not_to(content_trained, small_csv):
    url, engine = content_trained
    assert import_csv(str(small_csv), database_url=url, retrain=False)["retrain_jobs"] == []
    assert unclustered(engine) == 40


def test_before_any_training_an_import_queues_nothing(sqlite_url, small_csv, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert import_csv(str(small_csv), database_url=sqlite_url)["retrain_jobs"] == []


def test_a_top50_import_with_new_tracks_queues_the_retrain_too(content_trained, spotify):
    url, engine = content_trained
    report = import_top50(database_url=url)
    assert report["tracks_inserted"] == 50 and [q["engine"] for q in report["retrain_jobs"]] == ["content_gmm"]
    assert wait_for(report["retrain_jobs"]) == ["finished"]
    assert unclustered(engine) == 0
    again = import_top50(database_url=url)  # nothing new: nothing to retrain
    assert again["tracks_inserted"] == 0 and "retrain_jobs" not in again


def test_with_redis_the_retrain_goes_to_the_training_queue(content_trained, small_csv, redis_url, monkeypatch):
    from rq import Queue

    from domain.jobs.queues import redis_connection

    url, engine = content_trained
    monkeypatch.setenv("REDIS_URL", redis_url)
    [queued] = import_csv(str(small_csv), database_url=url)["retrain_jobs"]
    [job] = Queue("training", connection=redis_connection(redis_url)).jobs
    assert (job.id, job.func_name, job.kwargs["engine"]) == (queued["job_id"], "jobs.retrain.retrain", "content_gmm")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Track)).scalar() > 500
