"""Append generated rows fast: PostgreSQL ``COPY`` (binary), executemany batches on SQLite.

Rows come column-wise, as equal-length numpy arrays (ints, floats, bools, strings, and
``datetime64`` for dates and naive-UTC timestamps), and are written inside the caller's
transaction, with the ids the caller chose: a generator that hands out ids itself can link rows
of several tables without reading anything back. :func:`reset_id_sequences` then moves
PostgreSQL's sequences past those ids, so later inserts that let the database pick an id work.

On PostgreSQL a load of millions of rows is bound by the per-row work of foreign-key triggers
and of indexes on unordered columns; :func:`drop_load_indexes` drops them for the load and
:func:`rebuild_load_indexes` rebuilds each in one pass (validating the foreign keys again), in
the same transaction.
:func:`refresh_statistics` runs ``ANALYZE``: a table that grew from empty in one go otherwise
keeps the planner's empty-table estimates until autovacuum comes by.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

# Rows per executemany call or per COPY block: large enough to amortise the round trip, small
# enough that the Python tuples of one block stay a few hundred MB at most.
BLOCK_ROWS = 100_000
# Memory for rebuilding an index after a load (a session setting, any user may raise it).
INDEX_BUILD_MEMORY = "256MB"

Columns = Mapping[str, np.ndarray]


def next_id(conn: Connection, table: sa.Table) -> int:
    """The first free id of ``table`` (one past the largest, 1 when empty)."""
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar()) + 1


def write_rows(conn: Connection, table: sa.Table, columns: Columns) -> int:
    """Append the rows given column-wise to ``table``; returns how many were written."""
    lengths = {len(values) for values in columns.values()}
    if len(lengths) != 1:
        raise ValueError(f"{table.name}: columns of different lengths {sorted(lengths)}")
    count = lengths.pop()
    if count == 0:
        return 0
    if conn.dialect.name == "postgresql":
        _copy_rows(conn, table, columns, count)
    else:
        _executemany_rows(conn, table, columns, count)
    return count


def reset_id_sequences(conn: Connection, tables: list[sa.Table]) -> None:
    """Move each table's id sequence past its largest id (PostgreSQL; SQLite needs nothing)."""
    if conn.dialect.name != "postgresql":
        return  # SQLite hands out max(rowid) + 1
    for table in tables:
        conn.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence(:name, 'id'), "
            f"(SELECT coalesce(max(id), 0) + 1 FROM {conn.dialect.identifier_preparer.quote(table.name)}), false)"
        ), {"name": table.name})


def drop_load_indexes(conn: Connection, tables: list[sa.Table]) -> list[str]:
    """PostgreSQL: drop the tables' foreign keys, unique constraints and secondary indexes for a load.

    Returns the statements that rebuild them (for :func:`rebuild_load_indexes`). Primary keys
    stay (ids are written in order, so they only append), and so do unique constraints of a table
    that other tables reference. On SQLite nothing is dropped.
    """
    if conn.dialect.name != "postgresql":
        return []
    quote = conn.dialect.identifier_preparer.quote
    dropped: list[tuple[str, str]] = []  # (statement that rebuilds, statement that drops), in build order
    for table in tables:
        name = quote(table.name)
        indexes = conn.execute(sa.text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = :t "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass)) "
            "ORDER BY indexname"), {"t": table.name}).all()
        constraints = conn.execute(sa.text(  # unique ('u') before foreign keys ('f')
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint c "
            "WHERE conrelid = CAST(:t AS regclass) AND (contype = 'f' OR (contype = 'u' AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint r WHERE r.confrelid = c.conrelid))) ORDER BY contype DESC, conname"),
            {"t": table.name}).all()
        dropped += [(definition, f"DROP INDEX {quote(index)}") for index, definition in indexes]
        dropped += [(f"ALTER TABLE {name} ADD CONSTRAINT {quote(c)} {definition}",
                     f"ALTER TABLE {name} DROP CONSTRAINT {quote(c)}") for c, definition in constraints]
    for _build, drop in dropped:
        conn.exec_driver_sql(drop)
    return [build for build, _drop in dropped]


def rebuild_load_indexes(conn: Connection, statements: list[str]) -> None:
    """Rebuild what :func:`drop_load_indexes` dropped, one pass each; a violated constraint fails the transaction."""
    if statements:
        conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
    for statement in statements:
        conn.exec_driver_sql(statement)


def refresh_statistics(conn: Connection, tables: list[sa.Table]) -> None:
    """PostgreSQL: ``ANALYZE`` the tables, so that plans fit what was just loaded (SQLite: nothing)."""
    if conn.dialect.name == "postgresql":
        quote = conn.dialect.identifier_preparer.quote
        conn.exec_driver_sql(f"ANALYZE {', '.join(quote(t.name) for t in tables)}")


def _blocks(columns: Columns, count: int) -> Iterator[dict[str, np.ndarray]]:
    for start in range(0, count, BLOCK_ROWS):
        yield {name: values[start:start + BLOCK_ROWS] for name, values in columns.items()}


def _copy_rows(conn: Connection, table: sa.Table, columns: Columns, count: int) -> None:
    quote = conn.dialect.identifier_preparer.quote
    types = dict(conn.execute(
        sa.text("SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = :name"), {"name": table.name}).all())
    names = list(columns)
    statement = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN (FORMAT BINARY)"
    # The SQLAlchemy connection's own DBAPI connection: the COPY joins its transaction.
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(statement) as copy:
        copy.set_types([types[n] for n in names])
        for block in _blocks(columns, count):
            for row in zip(*(_python_values(v) for v in block.values()), strict=True):
                copy.write_row(row)


def _python_values(values: np.ndarray) -> list:
    """Python values psycopg adapts: datetimes stay naive (the columns are naive UTC)."""
    if values.dtype.kind == "M":
        unit = "D" if np.datetime_data(values.dtype)[0] == "D" else "us"
        return values.astype(f"datetime64[{unit}]").tolist()
    return values.tolist()


def _executemany_rows(conn: Connection, table: sa.Table, columns: Columns, count: int) -> None:
    quote = conn.dialect.identifier_preparer.quote
    names = list(columns)
    statement = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
                 f"VALUES ({', '.join('?' for _ in names)})")
    for block in _blocks(columns, count):
        rows = list(zip(*(_sqlite_values(v) for v in block.values()), strict=True))
        conn.exec_driver_sql(statement, rows)


def _sqlite_values(values: np.ndarray) -> list:
    """Values as SQLAlchemy stores them on SQLite: dates and timestamps as sortable text."""
    if values.dtype.kind == "M":
        if np.datetime_data(values.dtype)[0] == "D":
            return np.datetime_as_string(values, unit="D").tolist()
        # SQLAlchemy's text for DATETIME on SQLite (it sorts like the time it names), so these
        # rows compare right with the parameters SQLAlchemy binds.
        text = np.datetime_as_string(values.astype("datetime64[us]"), unit="us")
        return np.char.replace(text, "T", " ").tolist()
    if values.dtype.kind == "b":
        return values.astype(np.int8).tolist()
    return values.tolist()
