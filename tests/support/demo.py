"""The small demo dataset (500 tracks, 200 users) and the engines that train on it quickly."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

from domain.db import create_db_engine
from jobs.demo_data import DemoConfig, seed_demo

SMALL_DEMO = DemoConfig(tracks=500, artists=60, users=200, plays_per_user=(10, 30))
FAST_ENGINES = ["content_gmm", "demographic_popular", "svd"]


def small_demo_database(directory, sqlite_template):
    """A migrated SQLite copy in ``directory`` seeded with the small demo: ``(url, engine)``."""
    path = directory / "demo.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = create_db_engine(url)
    seed_small_demo(engine)
    return url, engine


def seed_small_demo(engine) -> None:
    """Seed the small demo with plays ending now."""
    seed_demo(engine, SMALL_DEMO, now=datetime.now(UTC).replace(microsecond=0))
