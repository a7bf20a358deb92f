"""SQL helpers every area shares: dialect-aware upserts, chunks of bound parameters and locks."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

T = TypeVar("T")

# SQLite allows 999 bound parameters per statement in old builds; stay well below.
PARAMETER_CHUNK = 500


def chunked(values: Iterable[T], size: int = PARAMETER_CHUNK) -> Iterator[list[T]]:
    """Consecutive lists of at most ``size`` items of ``values`` (any iterable, read lazily)."""
    iterator = iter(values)
    while batch := list(islice(iterator, size)):
        yield batch


def upsert(
    bind: Connection | Session,
    table: sa.Table | type,
    conflict: Sequence[str],
    update: Sequence[str] = (),
) -> sa.Insert:
    """``INSERT ... ON CONFLICT (conflict) DO UPDATE SET update`` for the bind's dialect.

    With no ``update`` columns the conflict is ignored (``DO NOTHING``). Pass the rows to
    ``execute`` (one dict or a list) or with ``.values(...)``.
    """
    dialect = (bind.get_bind() if isinstance(bind, Session) else bind).dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    if not update:
        return statement.on_conflict_do_nothing(index_elements=list(conflict))
    return statement.on_conflict_do_update(
        index_elements=list(conflict), set_={column: statement.excluded[column] for column in update},
    )


def _advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (PostgreSQL advisory locks are keyed by bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def lock_for_transaction(session: Session, table: sa.Table, *names: str) -> None:
    """Hold exclusive locks on ``names`` (within ``table``) until the session's transaction ends.

    Serialises read-then-write steps (count then insert, max then insert) between processes.
    PostgreSQL: transaction-level advisory locks, taken in one order so that callers never
    deadlock. SQLite has one writer at a time: an empty write on ``table`` takes the database's
    write lock, and reads after it see every committed row.
    """
    if session.get_bind().dialect.name == "postgresql":
        for key in sorted({_advisory_key(f"{table.name}:{name}") for name in names}):
            session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
    else:
        session.execute(sa.delete(table).where(sa.false()))


def is_postgres(session: Session) -> bool:
    """Whether the session's database is PostgreSQL."""
    return session.get_bind().dialect.name == "postgresql"


def one_of(session: Session, column: sa.ColumnElement, values: Sequence) -> sa.ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``column = ANY(array)``, one bound parameter.

    A statement with one placeholder per value has a new text for every list length, and the
    driver parses each such text again; the array form keeps a single cached statement.
    """
    if is_postgres(session):
        return column == sa.any_(sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def insert_returning_ids(session: Session, table: sa.Table, rows: list[dict], id_column: str = "id") -> list[int]:
    """Insert ``rows`` (dicts with the same keys) and return their new ids in the rows' order.

    On PostgreSQL one ``INSERT ... SELECT FROM unnest(arrays) ORDER BY ordinality``: the id
    sequence is drawn in the rows' order, so the sorted ids match them. Elsewhere, SQLAlchemy's
    multi-row ``INSERT ... RETURNING``.
    """
    if not rows:
        return []
    if not is_postgres(session):
        statement = sa.insert(table).returning(table.c[id_column], sort_by_parameter_order=True)
        return list(session.execute(statement, rows).scalars())
    names = list(rows[0])
    arrays = [sa.bindparam(f"a{n}", [row[name] for row in rows], type_=postgresql.ARRAY(table.c[name].type))
              for n, name in enumerate(names)]
    source = sa.func.unnest(*arrays).table_valued(*names, with_ordinality="n").render_derived()
    select = sa.select(*(source.c[name] for name in names)).order_by(source.c.n)
    statement = sa.insert(table).from_select(names, select).returning(table.c[id_column])
    return sorted(session.execute(statement).scalars())
