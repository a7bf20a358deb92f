"""Retraining: versions, activation only when not worse, artifacts loadable elsewhere, clusters."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from domain.catalog.tables import AudioFeatures
from domain.db import create_db_engine
from domain.recommendations.model_store import active_versions, load_artifact
from domain.recommendations.tables import ModelVersion
from domain.recommendations.training_data import load_snapshot
from engines.base import UserContext
from jobs.retrain import should_activate, train_engines
from plugins.manager import get_plugin_manager
from tests.support.demo import seed_small_demo
from tests.support.settings import make_settings


@pytest.mark.parametrize(
    ("info", "new", "current", "expected"),
    [
        ({"metric": "val_rmse"}, {"val_rmse": 0.9}, {"val_rmse": 1.0}, True),
        ({"metric": "val_rmse"}, {"val_rmse": 1.0}, {"val_rmse": 1.0}, True),
        ({"metric": "val_rmse"}, {"val_rmse": 1.1}, {"val_rmse": 1.0}, False),
        ({"metric": "val_ndcg", "higher_is_better": True}, {"val_ndcg": 0.3}, {"val_ndcg": 0.4}, False),
        ({"metric": "val_ndcg", "higher_is_better": True}, {"val_ndcg": 0.5}, {"val_ndcg": 0.4}, True),
        ({"metric": "val_rmse"}, {"val_rmse": 9.0}, None, True),
        ({"metric": None}, {}, {"x": 1}, True),
    ],
)
def test_should_activate(info, new, current, expected):
    assert should_activate(info, new, current) is expected


@pytest.fixture
def demo_db(db_url):
    engine = create_db_engine(db_url)
    seed_small_demo(engine)
    yield db_url, engine
    engine.dispose()


def test_a_worse_version_is_stored_but_not_activated_unless_forced(demo_db, tmp_path):
    url, engine = demo_db
    good = make_settings(url, tmp_path)
    first = train_engines(["svd"], settings=good, db_engine=engine)["svd"]
    assert first["status"] == "active" and first["version"] == 1 and "val_rmse" in first["metrics"]
    bad = make_settings(url, tmp_path)
    bad.recommenders.engines["svd"] = {"n_epochs": 1, "lr_all": 1e-9, "biased": False}
    second = train_engines(["svd"], settings=bad, db_engine=engine)["svd"]
    assert second["status"] == "kept_previous" and second["metrics"]["val_rmse"] > first["metrics"]["val_rmse"]
    with Session(engine) as session:
        assert active_versions(session)["svd"].version == 1
        assert session.exec(sa.select(sa.func.count()).select_from(ModelVersion)).one()[0] == 2
    forced = train_engines(["svd"], settings=bad, db_engine=engine, force=True)["svd"]
    assert forced["status"] == "active"
    with Session(engine) as session:
        assert active_versions(session)["svd"].version == 3


def test_an_artifact_loads_on_another_machine_with_identical_scores(demo_db, tmp_path):
    url, engine = demo_db
    trainer = get_plugin_manager()
    train_engines(["svd", "demographic_popular"], settings=make_settings(url, tmp_path), db_engine=engine, manager=trainer)
    other_machine = get_plugin_manager()  # a separate manager: nothing shared but the database
    items = np.arange(1, 200, dtype=np.int64)
    context = UserContext(user_id=5, age_group=20, gender="FEMALE")
    with Session(engine) as session:
        for name, active in active_versions(session).items():
            loaded = other_machine.hook.hz45_load_model(name=name, blob=load_artifact(session, active.id))
            # Training is seeded: the same snapshot gives the same model the trainer stored.
            fresh = trainer.hook.hz45_train(name=name, data=load_snapshot(engine), params={})
            np.testing.assert_allclose(loaded.score(context, items), fresh.score(context, items))


def test_unknown_engine_is_refused(demo_db, tmp_path):
    url, engine = demo_db
    with pytest.raises(ValueError, match="installed"):
        train_engines(["nope"], settings=make_settings(url, tmp_path), db_engine=engine)


def test_content_training_writes_clusters_back(demo_db, tmp_path):
    url, engine = demo_db
    result = train_engines(["content_gmm"], settings=make_settings(url, tmp_path), db_engine=engine)["content_gmm"]
    assert result["annotated_tracks"] == 500
    with engine.connect() as conn:
        missing = conn.execute(sa.select(sa.func.count()).select_from(AudioFeatures).where(AudioFeatures.gmm_cluster.is_(None))).scalar()
        clusters = conn.execute(sa.select(sa.func.count(sa.distinct(AudioFeatures.gmm_cluster)))).scalar()
    assert missing == 0 and clusters == int(result["metrics"]["n_components"])
