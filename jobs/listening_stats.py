"""Listening statistics over named ranges: keep the hourly rollups up to date (every few minutes).

Each run folds only the plays added since the previous one (ids above the watermark), so its cost
grows with the new plays, not with the log. Why the result is exact even when PostgreSQL commits
ids out of order, and how two racing runs are serialised, is told in :mod:`domain.stats.rollups`:
the run's target is the largest id with no smaller id still being inserted, read under a
momentary ``SHARE`` lock of ``play_event``; each fold and its watermark update commit together
while the watermark row is locked. A long backlog (the first run over a big log) is folded in
transactions of about ``transaction_plays`` plays, so the lock is never held for long and a
killed run keeps what it had committed. A late play (an old ``played_at``, a new id) is folded
by the next run into its old day and hour. Running twice with no new plays changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from domain.stats.rollups import FOLD_CHUNK, FoldReport, fold_new_plays, settled_max_play_id
from jobs.context import job_context

log = logging.getLogger("hz45.jobs.listening_stats")

TRANSACTION_PLAYS = 100_000


def update_listening_rollups(database_url: str | None = None, chunk_size: int = FOLD_CHUNK,
                             transaction_plays: int = TRANSACTION_PLAYS, lock_timeout_s: float = 2.0) -> dict[str, Any]:
    """Job: fold the new plays into the listening rollups; returns a report.

    ``lock_timeout_s`` bounds the wait for plays being inserted (PostgreSQL); when it runs out the
    run folds nothing (``settled: false``) and the next run catches up.
    """
    with job_context(database_url) as job:
        up_to = settled_max_play_id(job.engine, lock_timeout_s)
        if up_to is None:
            report: dict[str, Any] = {"settled": False, "plays": 0, "rows": 0}
        else:
            report = {"settled": True, "from_id": None, "to_id": None, "plays": 0, "rows": 0, "transactions": 0}
            while True:
                with job.engine.begin() as conn:
                    folded = fold_new_plays(conn, up_to, chunk=chunk_size, max_plays=transaction_plays,
                                            progress=lambda done, before=report["plays"]: _progress(done, before))
                report["from_id"] = folded.from_id if report["from_id"] is None else report["from_id"]
                report["to_id"] = folded.to_id
                report["plays"] += folded.plays
                report["rows"] += folded.rows
                report["transactions"] += 1
                if folded.to_id >= up_to or folded.plays == 0:
                    break
    log.info("update_listening_rollups: %s", report)
    return report


def _progress(done: FoldReport, before: int) -> None:
    log.info("update_listening_rollups: %d plays folded (this transaction up to id %d)", before + done.plays,
             done.to_id)
