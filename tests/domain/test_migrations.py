"""The tables in code and the Alembic migrations describe the same schema, on both backends."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from domain.db import create_db_engine
from domain.migrations import BASE, behind_head, current_revision, downgrade, head_revision, upgrade
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


def test_head_and_current_revision(tmp_path):
    url = f"sqlite:///{tmp_path}/r.db"
    engine = create_db_engine(url)
    try:
        assert current_revision(engine) == BASE
        assert behind_head(engine) == f"database is at revision base, head is {head_revision()}"
        upgrade(url, "0001")
        assert current_revision(engine) == "0001"
        upgrade(url)
        assert current_revision(engine) == head_revision() and behind_head(engine) is None
    finally:
        engine.dispose()


def test_upgrade_keeps_the_newest_active_version_of_each_engine(tmp_path):
    # Before 0002 nothing stopped two active versions of an engine.
    url = f"sqlite:///{tmp_path}/v.db"
    upgrade(url, "0001")
    engine = create_db_engine(url)
    versions = sa.table("model_version", sa.column("id"), sa.column("engine"), sa.column("version"),
                        sa.column("trained_at"), sa.column("params"), sa.column("metrics"), sa.column("active"))
    rows = [(1, "svd", 1, True), (2, "svd", 2, True), (3, "svd", 3, False), (4, "ease", 1, True)]
    try:
        with engine.begin() as conn:
            conn.execute(versions.insert(), [
                {"id": i, "engine": e, "version": v, "trained_at": "2026-01-01 00:00:00", "params": "{}",
                 "metrics": "{}", "active": a} for i, e, v, a in rows])
        upgrade(url)
        with engine.connect() as conn:
            active = conn.execute(sa.select(versions.c.id).where(versions.c.active).order_by(versions.c.id)).scalars()
            assert list(active) == [2, 4]
    finally:
        engine.dispose()
