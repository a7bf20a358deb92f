"""SQL helpers every area shares: dialect-aware upserts and chunks of bound parameters."""

from __future__ import annotations

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
