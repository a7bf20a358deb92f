"""Helpers shared by the commands."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from domain.db import create_db_engine
from domain.settings import Settings, get_settings


def load() -> tuple[Settings, Engine]:
    """Settings from the environment and a database engine for them."""
    settings = get_settings()
    return settings, create_db_engine(settings.database_url)
