"""Retraining: train engines through the plugin hooks, store versions, activate the better ones.

A new version becomes active when its validation metric (named by the plugin's description)
is not worse than the active version's, when no version is active yet, or when forced. Values a
newly active model wants stored with the catalog (``hz45_item_annotations``: the content
engine's PCA coordinates and clusters) are written to ``audio_features``. Last, the learned mix
is fitted over the configured members and stored as a version of ``learned``.
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
from domain.recommendations.model_store import activate, active_versions, load_artifact, store_version
from domain.recommendations.training_data import load_snapshot
from domain.settings import Settings
from engines.base import TrainingData, UserContext
from domain.recommendations.service import LEARNED
from jobs.context import job_context
from plugins.learned import fit_learned_mix
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
    errors = []
    for user_id, group in held.groupby("user_id"):
        predicted = manager.hook.hz45_score(name=name, model=model, context=UserContext(user_id=int(user_id)),
                                            item_ids=group["item_id"].to_numpy(np.int64))
        if predicted is None:
            return {}
        errors.append(np.asarray(predicted, dtype=np.float64) - group["rating"].to_numpy(np.float64))
    errors = np.concatenate(errors)
    errors = errors[np.isfinite(errors)]
    if not len(errors):
        return {}
    return {"val_rmse": float(np.sqrt(np.mean(errors ** 2))), "val_mae": float(np.mean(np.abs(errors)))}


ANNOTATION_COLUMNS = {"pca_x": float, "pca_y": float, "gmm_cluster": int}


def store_annotations(db_engine, annotations) -> int:
    """Store the per-track values a model returned from ``hz45_item_annotations``; returns rows."""
    columns = [c for c in ANNOTATION_COLUMNS if c in annotations.columns]
    if not columns or not len(annotations):
        return 0
    rows = [
        {"b_id": int(row["item_id"]), **{c: ANNOTATION_COLUMNS[c](row[c]) for c in columns}}
        for row in annotations[["item_id", *columns]].to_dict("records")
    ]
    table = AudioFeatures.__table__
    with db_engine.begin() as conn:
        conn.execute(
            table.update().where(table.c.track_id == sa.bindparam("b_id")).values(
                {c: sa.bindparam(c) for c in columns}),
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
    unknown = sorted(set(names or ()) - set(installed) - {LEARNED})
    if unknown:
        raise ValueError(f"unknown engines {unknown}; installed: {sorted(installed)} and {LEARNED}")
    with job_context(settings=settings, engine=db_engine) as job:
        data = load_snapshot(job.engine)
        log.info("training snapshot: %d ratings, %d plays, %d users, %d tracks",
                 len(data.ratings), len(data.plays), len(data.users), len(data.items))  # fmt: skip
        engines = [n for n in names or list(installed) if n != LEARNED]
        summary = {}
        for position, name in enumerate(engines, 1):
            log.info("training %s (%d/%d)", name, position, len(engines))
            summary[name] = _train_one(name, installed[name], data, force, job.settings, job.engine, manager)
        if names is None or LEARNED in names:
            summary[LEARNED] = _train_learned(data, job.settings, job.engine, manager, installed)
        return summary


def _train_learned(data, settings, db_engine, manager, installed) -> dict[str, Any]:
    """Fit the learned mix of the configured members and store it as a version of ``learned``."""
    members = [n for n in settings.recommenders.learned_mix_members() if n in installed]
    engines = settings.recommenders.engines
    started = time.perf_counter()
    log.info("fitting the learned mix of %s", ", ".join(members))
    try:
        blend = fit_learned_mix(manager, members, data,
                                lambda name, train: manager.hook.hz45_train(name=name, data=train,
                                                                            params=engines.get(name, {})),
                                prior=settings.recommenders.learned_mix_prior())
    except Exception as exc:  # the engines' versions stand; only the blend is missing
        log.exception("fitting the learned mix failed")
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    metrics = {**blend.metrics, "train_seconds": round(time.perf_counter() - started, 3)}
    with Session(db_engine, expire_on_commit=False) as session:
        row = store_version(session, LEARNED, blend.dumps(), {"engines": blend.engines}, metrics,
                            key=settings.recommenders.signing_key())
        activate(session, row.id)  # a blend is fitted to the members as they are now
        session.commit()
    log.info("learned mix v%s stored in %.1fs", row.version, metrics["train_seconds"])
    return {"status": "active", "version": row.version, "metrics": metrics}


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
        key = settings.recommenders.signing_key()
        if current is not None and not _loads(manager, name, session, current.id, key):
            current = None  # an active version nobody can load sets no bar for its successor
        row = store_version(session, name, blob, params, metrics, key=key)
        activated = force or should_activate(info, metrics, current.metrics if current else None)
        if activated:
            activate(session, row.id)
        session.commit()
    result = {"status": "active" if activated else "kept_previous", "version": row.version,
              "metrics": metrics}
    annotations = manager.hook.hz45_item_annotations(name=name, model=model) if activated else None
    if annotations is not None:
        result["annotated_tracks"] = store_annotations(db_engine, annotations)
    log.info("trained %s v%s in %.1fs: %s", name, row.version, seconds, result["status"])
    return result


def _loads(manager, name: str, session: Session, version_id: int, key: bytes | None) -> bool:
    """Whether the plugin accepts the artifact of ``version_id`` (a refused one, such as a
    pickle stored by an older release, is logged)."""
    try:
        manager.hook.hz45_load_model(name=name, blob=load_artifact(session, version_id, key))
    except (TypeError, ValueError, LookupError) as exc:
        log.warning("%s: the active version's artifact is refused (%s); the new model replaces it", name, exc)
        return False
    return True


def retrain(engine: str | None = None, force: bool = False, database_url: str | None = None) -> dict:
    """Job: retrain one engine (or all), activating versions that are not worse."""
    with job_context(database_url) as job:
        return train_engines([engine] if engine else None, force=force, settings=job.settings, db_engine=job.engine)
