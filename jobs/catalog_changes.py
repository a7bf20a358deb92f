"""After an import added or changed tracks: retrain the engines that learn from the catalog.

An engine whose plugin needs ``items`` (the content engine's audio-feature clusters) knows only
the tracks it was trained on, so the import jobs (CSV, Spotify) queue a retrain of each such
engine that has an active model, on the training queue. Before any training there is nothing
to refresh: the first training sees every track.
"""

from __future__ import annotations

import sqlalchemy as sa

from domain.jobs.queues import enqueue
from domain.recommendations.tables import ModelVersion
from jobs.context import JobContext

RETRAIN_JOB = "jobs.retrain.retrain"


def catalog_engines(job: JobContext, manager=None) -> list[str]:
    """The engines with an active model whose plugin needs ``items``."""
    with job.engine.connect() as conn:
        trained = set(conn.execute(sa.select(ModelVersion.engine).where(ModelVersion.active)).scalars())
    if not trained:
        return []  # the plugins (and the libraries they load) are not needed
    from plugins.manager import describe, get_plugin_manager

    described = describe(manager or get_plugin_manager())
    return sorted(n for n in trained if "items" in described.get(n, {}).get("needs", ()))


def queue_catalog_retrain(job: JobContext, tracks_changed: int, manager=None) -> list[dict[str, str]]:
    """Enqueue a retrain of every :func:`catalog_engines` when ``tracks_changed``; returns
    ``{"engine", "job_id"}`` per queued job."""
    if not tracks_changed:
        return []
    return [{"engine": name, "job_id": enqueue(RETRAIN_JOB, job.settings, engine=name).id}
            for name in catalog_engines(job, manager)]
