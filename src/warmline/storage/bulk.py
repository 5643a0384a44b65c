"""Many rows of one table in one go: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

A batch of ingest writes hundreds of rows to each of a dozen tables. On PostgreSQL,
``executemany`` sends each row as its own statement (pipelined, but each parsed, bound
and executed apart); ``COPY ... FROM STDIN`` streams them all through one statement, and
an upsert of many rows goes as one ``INSERT ... SELECT FROM unnest(arrays)``. SQLite,
in process, gains nothing from either, and keeps ``executemany``.

Values are bound through each column's own SQLAlchemy type first (UTC timestamps, JSON),
so a row written here reads back exactly as one written by ``conn.execute(insert, rows)``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

#: Fewer rows than this go by ``executemany``: COPY's own round trips cost more.
COPY_FROM = 4

Bind = Callable[[Any], Any] | None


def insert_rows(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` inside the caller's
    transaction."""
    if not rows:
        return
    if conn.dialect.name != "postgresql" or len(rows) < COPY_FROM or not _copyable(table, rows):
        conn.execute(table.insert(), list(rows))
        return
    names = tuple(rows[0])
    binds = _binds(table, names, conn.dialect)
    quoted = ", ".join(f'"{name}"' for name in names)
    # Table and column names come from the schema, never from the rows' values.
    sql = f'COPY "{table.name}" ({quoted}) FROM STDIN'
    dbapi_error = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(
                    [
                        value if bind is None or value is None else bind(value)
                        for value, bind in zip(map(row.__getitem__, names), binds, strict=True)
                    ]
                )
    except dbapi_error as exc:
        # As SQLAlchemy raises it (an IntegrityError for a duplicate key), so callers that
        # retry a batch a concurrent writer beat see the same error on either path.
        raise sa.exc.DBAPIError.instance(sql, None, exc, dbapi_error, dialect=conn.dialect) from exc
    finally:
        cursor.close()


def insert_bound(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """:func:`insert_rows` for a hot path: on SQLite, ``executemany`` on the driver with each
    value bound through its column's type here (what ``insert()`` would store, without its
    per-row bookkeeping, several times the insert itself for a few thousand small rows)."""
    if conn.dialect.name != "sqlite" or not rows or not _copyable(table, rows):
        insert_rows(conn, table, rows)
        return
    names = tuple(rows[0])
    binds = _binds(table, names, conn.dialect)
    quoted = ", ".join(f'"{name}"' for name in names)
    marks = ", ".join("?" * len(names))
    conn.exec_driver_sql(
        # Table and column names come from the schema, never from the rows' values.
        f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})',  # noqa: S608
        [
            tuple(
                value if bind is None or value is None else bind(value)
                for value, bind in zip(map(row.__getitem__, names), binds, strict=True)
            )
            for row in rows
        ],
    )


def _copyable(table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> bool:
    """Whether COPY writes what ``insert()`` would: every row has the same columns, and no
    column left out has a default computed in Python (COPY applies only the server's)."""
    names = rows[0].keys()
    if any(row.keys() != names for row in rows):
        return False
    return not any(
        column.default is not None and column.name not in names for column in table.columns
    )


@functools.cache
def _binds(table: sa.Table, names: tuple[str, ...], dialect: Dialect) -> tuple[Bind, ...]:
    return tuple(table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)


def array_types(table: sa.Table, names: Sequence[str], dialect: Dialect) -> list[str]:
    """Each column's PostgreSQL type as an array (``bigint[]``), for ``unnest`` casts."""
    return [f"{table.c[name].type.compile(dialect=dialect)}[]" for name in names]


def insert_on_cursor(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, every value given) by one ``executemany``
    on the connection's DB-API cursor, inside the caller's transaction: the statement
    compiled once per table, columns and dialect, each value bound through its column's
    type as ``insert()`` binds it (so the rows read back the same). For small, frequent
    writes (the audit log's group commits), where SQLAlchemy's per-statement bookkeeping
    cost more than the insert."""
    if not rows:
        return
    sql, names, positional = _insert_plan(table, tuple(rows[0]), conn.dialect)
    binds = _binds(table, names, conn.dialect)
    bound = [
        tuple(
            value if bind is None else bind(value)
            for value, bind in zip(map(row.__getitem__, names), binds, strict=True)
        )
        for row in rows
    ]
    values: list[Any] = bound if positional else [dict(zip(names, b, strict=True)) for b in bound]
    if not conn.in_transaction():
        conn.begin()
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        if listeners := conn.dispatch.before_cursor_execute:
            listeners(conn, cursor, sql, values, None, True)  # statement counting, tracing
        cursor.executemany(sql, values)
    except dbapi_error as exc:
        raise sa.exc.DBAPIError.instance(sql, None, exc, dbapi_error, dialect=conn.dialect) from exc
    finally:
        cursor.close()


@functools.cache
def _insert_plan(
    table: sa.Table, keys: tuple[str, ...], dialect: Dialect
) -> tuple[str, tuple[str, ...], bool]:
    """``INSERT`` of ``keys`` compiled for ``dialect``: its SQL, the parameters' order, and
    whether they go by position (SQLite's ``?``) rather than by name (psycopg's)."""
    compiled = table.insert().inline().compile(dialect=dialect, column_keys=list(keys))
    if compiled.positional:
        return str(compiled), tuple(compiled.positiontup or ()), True
    return str(compiled), keys, False
