"""The tables in code and the Alembic migrations describe the same schema, on both backends."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from domain.db import create_db_engine
from domain.migrations import downgrade, upgrade
from domain.tables import metadata


def _differences(url: str) -> list:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()


def test_migrations_match_the_models(db_url):
    assert _differences(db_url) == []


def test_every_table_is_created_by_migrations(db_url):
    engine = create_db_engine(db_url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(metadata.tables) <= tables


def test_downgrade_to_base_and_back(tmp_path):
    url = f"sqlite:///{tmp_path}/m.db"
    upgrade(url)
    downgrade(url, "base")
    engine = create_db_engine(url)
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(url)
    assert _differences(url) == []
