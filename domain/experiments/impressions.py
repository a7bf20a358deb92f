"""Impression logging off the request path: an in-process buffer written in batches.

Requests only append to the buffer (no database work); a background task of the API's lifespan
writes what is waiting every ``impression_flush_seconds`` or as soon as
``impression_flush_rows`` rows wait, with one multi-row INSERT per batch, and once more at
shutdown. When ``impression_buffer_rows`` rows already wait, new ones are dropped and counted.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from anyio import to_thread
from sqlalchemy.engine import Engine

from domain.columns import utcnow
from domain.experiments.tables import RecommendationImpression
from domain.settings import RecommenderSettings

log = logging.getLogger("hz45.experiments")
TABLE = RecommendationImpression.__table__
INSERT = sa.insert(TABLE)


def experiment_of(mix_id: str, experiments: Mapping[str, Mapping[str, Any]]) -> tuple[str | None, str | None]:
    """The (experiment, arm) a mix id ``<experiment>:<arm>`` names, or (None, None) for other mixes."""
    experiment, _, arm = mix_id.partition(":")
    if arm and arm in experiments.get(experiment, {}):
        return experiment, arm
    return None, None


class ImpressionBuffer:
    """Impressions waiting to be written; ``log`` is safe from any thread and never blocks on I/O."""

    def __init__(self, engine: Engine, settings: RecommenderSettings) -> None:
        self.engine = engine
        self.experiments = settings.experiments
        self.flush_rows = settings.impression_flush_rows
        self.max_rows = settings.impression_buffer_rows
        self.interval = settings.impression_flush_seconds
        self.dropped = 0  # impressions lost since start: buffer full or a failed write
        self.written = 0
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()  # guards _rows; flush swaps the list out under it
        self._flush_lock = threading.Lock()  # one writer at a time keeps batches whole
        self._warned = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    def log(self, user_id: int, mix_id: str, track_ids: Sequence[int], surface: str) -> None:
        """Queue one impression per served track (positions from 1), stamped now."""
        experiment, arm = experiment_of(mix_id, self.experiments)
        served_at = utcnow()
        rows = [{"user_id": user_id, "mix_id": mix_id, "experiment": experiment, "arm": arm, "track_id": track,
                 "position": position, "served_at": served_at, "surface": surface}
                for position, track in enumerate(track_ids, start=1)]
        with self._lock:
            room = max(self.max_rows - len(self._rows), 0)
            self._rows.extend(rows[:room])
            lost = len(rows) - min(room, len(rows))
            full = len(self._rows) >= self.flush_rows
        if lost > 0:
            self._drop(lost, "the impression buffer is full")
        if full:
            self._wake_writer()

    def _drop(self, count: int, why: str) -> None:
        with self._lock:
            self.dropped += count
            warn, self._warned = not self._warned, True
        if warn:  # once until the next successful write: a full buffer would flood the log
            log.warning("dropping recommendation impressions (%s); %d dropped so far", why, self.dropped)

    def _wake_writer(self) -> None:
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def pending(self) -> int:
        """How many impressions wait to be written."""
        with self._lock:
            return len(self._rows)

    def flush(self) -> int:
        """Write every waiting impression, ``impression_flush_rows`` rows per INSERT; returns how many."""
        with self._flush_lock:
            with self._lock:
                rows, self._rows = self._rows, []
            if not rows:
                return 0
            try:
                with self.engine.begin() as conn:
                    for start in range(0, len(rows), self.flush_rows):
                        # executemany of one cached statement (SQLAlchemy sends it as one multi-row
                        # INSERT); .values(rows) would compile a new statement for every batch length
                        conn.execute(INSERT, rows[start:start + self.flush_rows])
            except Exception:  # the API keeps serving; impressions are best effort
                log.exception("could not write %d recommendation impressions", len(rows))
                self._drop(len(rows), "the write failed")
                return 0
            with self._lock:
                self.written += len(rows)
                self._warned = False
            return len(rows)

    async def run(self) -> None:
        """Background task: flush every ``interval`` seconds, or sooner when a batch is full."""
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.interval)
            except TimeoutError:
                pass
            self._wake.clear()
            await to_thread.run_sync(self.flush)


def log_impressions(buffer: ImpressionBuffer | None, user_id: int, mix_id: str, track_ids: Sequence[int],
                    surface: str) -> None:
    """Queue the impressions of one served list on ``buffer`` (nothing when the API has none)."""
    if buffer is not None:
        buffer.log(user_id, mix_id, track_ids, surface)
