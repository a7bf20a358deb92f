"""Retraining: train engines through the plugin hooks, store versions, activate the better ones.

A new version becomes active when its validation metric (named by the plugin's description)
is not worse than the active version's, when no version is active yet, or when forced. The
content engine's PCA coordinates and clusters are written back to ``audio_features``.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session

from domain.catalog.tables import AudioFeatures
from domain.recommendations.model_store import activate, active_versions, store_version
from domain.recommendations.training_data import load_snapshot
from domain.settings import Settings
from engines.base import TrainingData, UserContext
from jobs.context import job_context
from plugins.manager import describe, get_plugin_manager

log = logging.getLogger("hz45.jobs.retrain")


def should_activate(info: dict[str, Any], new: dict[str, float], current: dict[str, Any] | None) -> bool:
    """Whether a new version's metrics are not worse than the active version's."""
    metric = info.get("metric")
    if current is None or not metric or metric not in new or metric not in current:
        return True
    if info.get("higher_is_better"):
        return new[metric] >= current[metric]
    return new[metric] <= current[metric]


def holdout_rmse(manager, name: str, data: TrainingData, params: dict, fraction: float = 0.1,
                 seed: int = 0) -> dict[str, float]:
    """RMSE/MAE of a model trained without a seeded ``fraction`` of the ratings, on that part.

    For rating engines whose training does not measure a validation error itself; the model
    that gets stored is still the one trained on everything.
    """
    ratings = data.ratings
    if len(ratings) < 20:
        return {}
    held = ratings.sample(frac=fraction, random_state=seed)
    train = dataclasses.replace(data, ratings=ratings.drop(held.index))
    model = manager.hook.hz45_train(name=name, data=train, params=params)
    if not hasattr(model, "score"):
        return {}
    errors = []
    for user_id, group in held.groupby("user_id"):
        predicted = model.score(UserContext(user_id=int(user_id)), group["item_id"].to_numpy(np.int64))
        errors.append(np.asarray(predicted, dtype=np.float64) - group["rating"].to_numpy(np.float64))
    errors = np.concatenate(errors)
    errors = errors[np.isfinite(errors)]
    if not len(errors):
        return {}
    return {"val_rmse": float(np.sqrt(np.mean(errors ** 2))), "val_mae": float(np.mean(np.abs(errors)))}


def _write_back_clusters(db_engine, model) -> int:
    assignments = model.assignments()
    rows = [
        {"b_id": int(r.item_id), "pca_x": float(r.pca_x), "pca_y": float(r.pca_y), "gmm_cluster": int(r.gmm_cluster)}
        for r in assignments.itertuples(index=False)
    ]
    table = AudioFeatures.__table__
    with db_engine.begin() as conn:
        conn.execute(
            table.update().where(table.c.track_id == sa.bindparam("b_id")).values(
                pca_x=sa.bindparam("pca_x"), pca_y=sa.bindparam("pca_y"), gmm_cluster=sa.bindparam("gmm_cluster")
            ),
            rows,
        )
    return len(rows)


def train_engines(
    names: list[str] | None = None,
    *,
    force: bool = False,
    settings: Settings | None = None,
    db_engine=None,
    manager=None,
) -> dict[str, dict[str, Any]]:
    """Train ``names`` (default: every installed engine); returns a summary per engine."""
    manager = manager or get_plugin_manager()
    installed = describe(manager)
    unknown = sorted(set(names or ()) - set(installed))
    if unknown:
        raise ValueError(f"unknown engines {unknown}; installed: {sorted(installed)}")
    with job_context(settings=settings, engine=db_engine) as job:
        data = load_snapshot(job.engine)
        return {name: _train_one(name, installed[name], data, force, job.settings, job.engine, manager)
                for name in names or list(installed)}


def _train_one(name, info, data, force, settings, db_engine, manager) -> dict[str, Any]:
    params = settings.recommenders.engines.get(name, {})
    started = time.perf_counter()
    try:
        model = manager.hook.hz45_train(name=name, data=data, params=params)
    except Exception as exc:  # one engine failing must not stop the others
        log.exception("training %s failed", name)
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    seconds = round(time.perf_counter() - started, 3)
    metrics = manager.hook.hz45_model_metrics(name=name, model=model) or {}
    if info.get("metric") == "val_rmse" and "val_rmse" not in metrics:
        metrics |= holdout_rmse(manager, name, data, params)
    metrics = {**metrics, "train_seconds": seconds}
    blob = manager.hook.hz45_save_model(name=name, model=model)
    with Session(db_engine, expire_on_commit=False) as session:
        current = active_versions(session).get(name)
        row = store_version(session, name, blob, params, metrics)
        activated = force or should_activate(info, metrics, current.metrics if current else None)
        if activated:
            activate(session, row.id)
        session.commit()
    result = {"status": "active" if activated else "kept_previous", "version": row.version,
              "metrics": metrics}
    if activated and hasattr(model, "assignments"):
        result["clustered_tracks"] = _write_back_clusters(db_engine, model)
    log.info("trained %s v%s in %.1fs: %s", name, row.version, seconds, result["status"])
    return result


def retrain(engine: str | None = None, force: bool = False, database_url: str | None = None) -> dict:
    """Job: retrain one engine (or all), activating versions that are not worse."""
    with job_context(database_url) as job:
        return train_engines([engine] if engine else None, force=force, settings=job.settings, db_engine=job.engine)
