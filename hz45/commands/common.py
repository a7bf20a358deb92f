"""Helpers shared by the commands: settings and database, database failures in one line, and
following the retraining an import queued."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from domain.settings import Settings

SUPPORTED_URLS = "sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DATABASE"
# (backend, driver) pairs 4.5Hz installs and tests; plain postgresql:// is read as psycopg.
SUPPORTED_BACKENDS = {("sqlite", "pysqlite"), ("postgresql", "psycopg")}


def load() -> tuple[Settings, Engine]:
    """Settings from the environment and a database engine for them (URL checked first)."""
    from domain.db import create_db_engine
    from domain.settings import get_settings

    settings = get_settings()
    return settings, create_db_engine(checked_database_url(settings.database_url))


def checked_database_url(url: str) -> str:
    """``url`` normalised, or a one-line :class:`click.ClickException` when 4.5Hz cannot use it."""
    import sqlalchemy as sa

    from domain.db import normalise_url

    try:
        parsed = sa.make_url(normalise_url(url))
    except sa.exc.ArgumentError:  # NoSuchModuleError (an unknown scheme) is one too
        shown = url if "://" not in url else url.split("://", 1)[0] + "://…"
        raise click.ClickException(f"DATABASE_URL {shown!r} is not a database URL 4.5Hz can use: "
                                   f"set it to {SUPPORTED_URLS}") from None
    try:
        backend = (parsed.get_backend_name(), parsed.get_driver_name())
    except sa.exc.NoSuchModuleError:  # a scheme no installed dialect knows
        backend = None
    if backend not in SUPPORTED_BACKENDS:
        raise click.ClickException(f"DATABASE_URL {parsed.render_as_string(hide_password=True)} is not supported "
                                   f"(4.5Hz runs on SQLite and PostgreSQL through psycopg): set it to {SUPPORTED_URLS}")
    return parsed.render_as_string(hide_password=False)


def check_database_reachable(url: str) -> None:
    """Connect once; a failure is a one-line :class:`click.ClickException` saying what to do."""
    from domain.db import create_db_engine

    engine = create_db_engine(checked_database_url(url))
    try:
        with engine.connect():
            pass
    except Exception as exc:
        raise click.ClickException(database_failure(exc, url) or f"cannot reach the database: {exc}") from None
    finally:
        engine.dispose()


def database_failure(exc: BaseException, url: str | None = None) -> str | None:
    """What to do about a failed database connection or a database without the tables, in one
    line; None when ``exc`` is something else."""
    if "sqlalchemy" not in sys.modules:
        return None
    import sqlalchemy as sa

    if url is None:
        from domain.settings import get_settings

        url = get_settings().database_url
    if isinstance(exc, sa.exc.ArgumentError | ImportError):  # e.g. create_engine on mysql:// without its driver
        try:
            checked_database_url(url)
        except click.ClickException as unusable:
            return unusable.message
    if not isinstance(exc, sa.exc.DBAPIError):
        return None
    where = _shown(url)
    text = str(exc.orig) if exc.orig is not None else str(exc)
    if "no such table" in text or "UndefinedTable" in type(exc.orig).__name__:
        return f"the database at {where} has no 4.5Hz tables: run hz45 migrate"
    connecting = exc.statement in (None, "") or "unable to open database file" in text
    if not isinstance(exc, sa.exc.OperationalError) or not connecting:
        return None  # a failing statement is not a connection problem
    if url.startswith("sqlite"):
        return (f"cannot open the SQLite database {sa.make_url(url).database}: its folder must exist and be "
                "writable; create it or set DATABASE_URL")
    reason = _reason(text)
    if reason.startswith("database") and "does not exist" in reason:
        todo = "create it (createdb) or fix DATABASE_URL"
    elif reason.startswith("role") or "authentication" in reason or "password" in reason:
        todo = "check the user and password in DATABASE_URL"
    else:
        todo = "start the server or fix DATABASE_URL"
    return f"cannot reach the database at {where} ({reason}): {todo}"


def _shown(url: str) -> str:
    import sqlalchemy as sa

    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "DATABASE_URL"


def _reason(text: str) -> str:
    """The driver's reason without its preamble: 'Connection refused', 'timeout expired', …"""
    first = text.strip().splitlines()[0] if text.strip() else "no answer"
    return first.rsplit(": ", 1)[-1].strip() or first


def follow_retraining(queued: list[dict]) -> None:
    """After an import: wait for the retraining it queued (``{"engine", "job_id"}`` each) when it
    runs in this process, or say where it went; exits 1 when it failed."""
    from domain.jobs.queues import fetch_job, inprocess_runner
    from domain.settings import get_settings

    names = ", ".join(q["engine"] for q in queued)
    if get_settings().redis_url:
        jobs = ", ".join(q["job_id"] for q in queued)
        click.echo(f"retraining {names} on the training queue (jobs {jobs}); the new tracks get clusters "
                   "once a worker (hz45 worker) has run them")
        return
    click.echo(f"retraining {names} so that the new tracks get clusters (seconds; about 10 s after "
               "importing ten genres of the public file) ...")
    inprocess_runner().wait()
    failed = False
    for q in queued:
        status = fetch_job(q["job_id"])
        result = (status.result or {}).get(q["engine"], {}) if status and status.status == "finished" else {}
        if result.get("status") in ("active", "kept_previous"):
            click.echo(f"  {q['engine']}: {result['status']} v{result.get('version')}")
        else:
            failed = True
            click.echo(f"  {q['engine']}: failed ({result.get('error') or (status and status.error)})", err=True)
    if failed:
        retry = " ".join(q["engine"] for q in queued)
        raise click.ClickException(f"the import is stored, but retraining failed; retry with: hz45 train {retry}")
