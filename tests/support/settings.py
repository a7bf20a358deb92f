"""Settings for a test database."""

from __future__ import annotations

from typing import Any

from domain.settings import Settings


def make_settings(db_url: str, tmp_path=None, **overrides: Any) -> Settings:
    """Settings for a test database (the event log under ``tmp_path``)."""
    if tmp_path is not None:
        overrides.setdefault("event_log_path", str(tmp_path / "events.jsonl"))
    overrides.setdefault("redis_url", None)
    return Settings(database_url=db_url, **overrides)
