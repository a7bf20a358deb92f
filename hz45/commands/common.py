"""Helpers shared by the commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from domain.settings import Settings


def load() -> tuple[Settings, Engine]:
    """Settings from the environment and a database engine for them."""
    from domain.db import create_db_engine
    from domain.settings import get_settings

    settings = get_settings()
    return settings, create_db_engine(settings.database_url)
