"""Similar listeners: every user's nearest listeners by the play counts of a recent window.

The job counts (user, track) plays of the last ``listeners.similar_users_window_days`` days,
finds each user's most similar listeners (:mod:`engines.user_neighbours`) and replaces every row
of ``similar_user`` in one transaction, so running it twice gives the same rows.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from domain.columns import utcnow
from domain.listeners.tables import SimilarUser
from domain.plays.tables import PlayEvent
from engines.user_neighbours import neighbours_frame, play_matrix
from jobs.context import job_context

log = logging.getLogger("hz45.jobs.similar_users")

_play = PlayEvent.__table__
_similar = SimilarUser.__table__


def similar_users(database_url: str | None = None, window_days: int | None = None) -> dict[str, Any]:
    """Job: store each listener's most similar listeners over the recent window (replacing all rows)."""
    with job_context(database_url) as job, job.engine.begin() as conn:
        options = job.settings.listeners
        now = utcnow()
        since = now - timedelta(days=window_days or options.similar_users_window_days)
        counts = conn.execute(
            sa.select(_play.c.user_id, _play.c.track_id, sa.func.count())
            .where(_play.c.played_at >= since, _play.c.played_at <= now)
            .group_by(_play.c.user_id, _play.c.track_id)
        ).all()
        users, tracks, plays = zip(*counts, strict=True) if counts else ((), (), ())
        frame = neighbours_frame(play_matrix(users, tracks, plays), options.similar_users_kept)
        rows = [{"user_id": int(r.user_id), "neighbour_id": int(r.neighbour_id), "similarity": float(r.similarity),
                 "rank": int(r.rank), "computed_at": now} for r in frame.itertuples()]
        conn.execute(sa.delete(_similar))
        if rows:
            conn.execute(sa.insert(_similar), rows)
    report = {"since": since.isoformat(), "users": int(frame.user_id.nunique()), "rows": len(rows)}
    log.info("similar_users: %s", report)
    return report
