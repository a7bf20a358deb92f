"""The training snapshot read from the database: the same frames on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from domain.db import create_db_engine
from domain.recommendations.training_data import load_snapshot
from jobs.demo_data import seed_demo
from tests.support.demo import SMALL_DEMO

NOW = datetime(2026, 6, 1, 12, 30, 15, tzinfo=UTC)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.mark.postgres
def test_postgres_bulk_read_gives_the_frames_of_the_row_by_row_read(sqlite_url, pg_url):
    snapshots = []
    for url in (sqlite_url, pg_url):
        engine = create_db_engine(url)
        seed_demo(engine, SMALL_DEMO, now=NOW)
        snapshots.append(load_snapshot(engine, today=NOW.date()))
        engine.dispose()
    lite, pg = snapshots
    assert len(lite.ratings) > 1000 and len(lite.plays) > 1000
    for name in ("ratings", "plays"):
        a, b = _sorted(getattr(lite, name)), _sorted(getattr(pg, name))
        pd.testing.assert_frame_equal(a, b)
        # Epoch seconds of the stored times (seeded in whole seconds up to NOW).
        assert b["timestamp"].max() <= NOW.timestamp() and b["timestamp"].dtype == "int64"
    pd.testing.assert_frame_equal(lite.users, pg.users)


def test_an_empty_database_gives_empty_event_frames(db_url):
    engine = create_db_engine(db_url)
    data = load_snapshot(engine)
    engine.dispose()
    assert list(data.ratings.columns) == ["user_id", "item_id", "rating", "timestamp"] and data.ratings.empty
    assert list(data.plays.columns) == ["user_id", "item_id", "timestamp"] and data.plays.empty
