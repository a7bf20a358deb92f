"""Run Alembic migrations programmatically (``hz45 migrate``, tests, the demo), and tell how far
a database is from the newest revision (``hz45 serve``, ``/readyz``)."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from alembic import command
from domain.db import create_db_engine

ROOT = Path(__file__).resolve().parent.parent
# What a database without an ``alembic_version`` row is at, in Alembic's words.
BASE = "base"


def alembic_config(database_url: str | None = None) -> Config:
    """The project's Alembic configuration, pointed at ``database_url`` when given."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    if database_url is not None:
        # ConfigParser interpolation would choke on "%" in passwords.
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """``alembic upgrade head`` on ``database_url``."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    """``alembic downgrade`` on ``database_url``."""
    command.downgrade(alembic_config(database_url), revision)


@functools.cache
def head_revision() -> str:
    """The newest revision of the migrations in ``alembic/versions``."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str:
    """The revision the database of ``engine`` is at (:data:`BASE` when never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() or BASE


def behind_head(engine: Engine) -> str | None:
    """Why the database is not at the newest revision (one line), or None when it is."""
    current, head = current_revision(engine), head_revision()
    return None if current == head else f"database is at revision {current}, head is {head}"


def serving_problem(database_url: str) -> str | None:
    """Why the API cannot serve ``database_url`` (unreachable or not migrated), or None."""
    engine = create_db_engine(database_url)
    try:
        behind = behind_head(engine)
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the answer
        return f"cannot reach the database: {type(exc).__name__}: {exc}".splitlines()[0]
    finally:
        engine.dispose()
    return f"{behind}: run hz45 migrate" if behind else None
