"""Hot read paths on the DB-API cursor: SQL compiled once per dialect, rows converted by hand.

The card is read on every contact. Executing a prebuilt SQLAlchemy statement
still costs tens of microseconds of per-call bookkeeping, several times the
query itself on a hot SQLite page cache. Here a statement is compiled once per
dialect, executed on the connection's own DB-API cursor (inside the same
transaction), and each column converted with a small function chosen from its
SQLAlchemy type, so the results are the same plain dicts the Core path returns.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from warmline.storage.schema import UTCDateTime

Convert = Callable[[Any], Any]


def _utc_text(value: Any) -> Any:
    if value is None or isinstance(value, dt.datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=dt.UTC)
    try:  # SQLite's text, zone-less: parsed with UTC at once (a fifth of parse-then-replace)
        parsed = dt.datetime.fromisoformat(value + "+00:00")
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:  # another shape (a zone of its own, a date)
        parsed = dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
    return parsed


def _utc_aware(value: Any) -> Any:
    return None if value is None else value.astimezone(dt.UTC)


def _date_text(value: Any) -> Any:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _json_text(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _bool(value: Any) -> Any:
    return None if value is None else bool(value)


def _converter(column_type: sa.types.TypeEngine[Any], dialect: str) -> Convert | None:
    if isinstance(column_type, UTCDateTime):
        return _utc_text if dialect == "sqlite" else _utc_aware
    if dialect != "sqlite":
        return None  # psycopg returns dates, JSON and booleans as Python values already
    if isinstance(column_type, sa.Date):
        return _date_text
    if isinstance(column_type, sa.JSON):
        return _json_text
    if isinstance(column_type, sa.Boolean):
        return _bool
    return None


_ANY = re.compile(r"(NOT )?IN \(__\[POSTCOMPILE_(\w+)\]\)")


def _any_of(match: re.Match[str]) -> str:
    return f"<> ALL(%({match[2]})s)" if match[1] else f"= ANY(%({match[2]})s)"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: tuple[str, ...] | None
    defaults: Mapping[str, Any]
    names: tuple[str, ...]
    converters: tuple[tuple[int, Convert], ...]
    expanding: frozenset[str] = frozenset()
    mark: str = "?"


class FastSelect:
    """A SELECT run on the raw cursor; ``all(conn, **params)`` returns a list of dicts."""

    def __init__(self, statement: sa.Select[Any] | sa.CompoundSelect[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}
        self._by_length: dict[tuple[str, str, tuple[tuple[str, int], ...]], str] = {}

    def _compile(self, conn: Connection) -> _Compiled:
        dialect = conn.dialect
        compiled = self.statement.compile(dialect=dialect)
        names = tuple(str(c.key) for c in self.statement.selected_columns)
        converters = tuple(
            (i, convert)
            for i, column in enumerate(self.statement.selected_columns)
            if (convert := _converter(column.type, dialect.name)) is not None
        )
        positional = (
            tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
        )
        defaults = {
            key: bind.effective_value for key, bind in compiled.binds.items() if not bind.required
        }
        expanding = frozenset(key for key, bind in compiled.binds.items() if bind.expanding)
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        return _Compiled(str(compiled), positional, defaults, names, converters, expanding, mark)

    def _expanded(self, plan: _Compiled, values: dict[str, Any]) -> tuple[str, Any]:
        """The SQL and parameters with each ``IN`` list spelt out for its length (the SQL
        for each length is kept: a batch asks for a few lengths over and over). On
        PostgreSQL a list goes as one array instead, ``= ANY(%(name)s)``: one statement
        text for every length, and a fraction of the planning of a thousand parameters."""
        if not plan.positional and plan.mark == "%s":
            sql = self._by_length.get((plan.mark, plan.sql, ()))
            if sql is None:
                sql = _ANY.sub(_any_of, plan.sql)
                self._by_length[(plan.mark, plan.sql, ())] = sql
            return sql, {k: list(v) if k in plan.expanding else v for k, v in values.items()}
        lengths = tuple((name, len(values[name])) for name in sorted(plan.expanding))
        key = (plan.mark, plan.sql, lengths)
        sql = self._by_length.get(key)
        if sql is None:
            sql = plan.sql
            for name, n in lengths:
                if plan.positional:
                    marks = ", ".join([plan.mark] * n)
                else:
                    marks = ", ".join(f"%({name}_{i})s" for i in range(n))
                sql = sql.replace(f"__[POSTCOMPILE_{name}]", marks)
            self._by_length[key] = sql
        if plan.positional:
            flat: list[Any] = []
            for name in plan.positional:
                if name in plan.expanding:
                    flat.extend(values[name])
                else:
                    flat.append(values[name])
            return sql, tuple(flat)
        named = {k: v for k, v in values.items() if k not in plan.expanding}
        for name in plan.expanding:
            named.update((f"{name}_{i}", v) for i, v in enumerate(values[name]))
        return sql, named

    def all(self, conn: Connection, **params: Any) -> list[dict[str, Any]]:
        """Rows as dicts. A list bound to an ``IN (expanding)`` parameter must not be empty
        (an empty list matches nothing: the result is empty without asking)."""
        plan = self._plan(conn)
        return self._records(plan, self._raw(conn, plan, params))

    @staticmethod
    def _records(plan: _Compiled, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        """The driver's rows as dicts, each column converted."""
        names, converters = plan.names, plan.converters
        if len(set(names)) < len(names):  # a name twice: the last column wins, converted
            return [dict(zip(names, row, strict=True)) for row in FastSelect._tuples(plan, rows)]
        if not converters:
            return [dict(zip(names, row, strict=True)) for row in rows]
        named = [(names[i], convert) for i, convert in converters]
        out = []
        for row in rows:  # one dict a row, converted in place
            record = dict(zip(names, row, strict=True))
            for name, convert in named:
                record[name] = convert(record[name])
            out.append(record)
        return out

    def rows(self, conn: Connection, **params: Any) -> list[tuple[Any, ...]]:
        """Rows as tuples in the order of the selected columns (no dict per row: for hot
        paths that read many rows of few columns)."""
        plan = self._plan(conn)
        return self._tuples(plan, self._raw(conn, plan, params))

    @staticmethod
    def _tuples(plan: _Compiled, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """The driver's rows, each column converted."""
        if not plan.converters:
            return rows
        out = []
        for row in rows:
            record = list(row)
            for i, convert in plan.converters:
                record[i] = convert(record[i])
            out.append(tuple(record))
        return out

    def _raw(
        self, conn: Connection, plan: _Compiled, params: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        """The rows as the driver gives them."""
        statement = self._statement(plan, params)
        return [] if statement is None else execute_raw(conn, *statement)

    def _statement(self, plan: _Compiled, params: Mapping[str, Any]) -> tuple[str, Any] | None:
        """The SQL and its parameters as the driver takes them; None when an ``IN`` list
        is empty (nothing can match)."""
        values = {**plan.defaults, **params}
        if plan.expanding:
            if any(not values[name] for name in plan.expanding):
                return None
            return self._expanded(plan, values)
        bound = tuple(values[name] for name in plan.positional) if plan.positional else values
        return plan.sql, bound

    def _plan(self, conn: Connection) -> _Compiled:
        plan = self._compiled.get(conn.dialect.name)
        if plan is None:
            plan = self._compiled[conn.dialect.name] = self._compile(conn)
        return plan


def bound_value(column: sa.ColumnElement[Any], value: Any, dialect: Dialect) -> Any:
    """``value`` as ``column``'s type binds it for ``dialect`` (a UTC timestamp as SQLite's
    text), for a parameter of a :class:`FastSelect` (which binds values as given)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return value if process is None or value is None else process(value)


def all_together(
    conn: Connection, reads: Sequence[tuple[FastSelect, Mapping[str, Any]]]
) -> list[list[dict[str, Any]]]:
    """Several reads that do not depend on each other, each as :meth:`FastSelect.all` gives
    it, in order. On PostgreSQL they go to the server together, in one pipeline: the
    connection waits on the server once, not once a statement (a card's reads spent most
    of their time waiting, one round trip each). On SQLite, which has no round trips, one
    after another."""
    if conn.dialect.name != "postgresql" or len(reads) < 2:
        return [select.all(conn, **params) for select, params in reads]
    plans = [select._plan(conn) for select, _ in reads]
    statements = [
        select._statement(plan, params) for (select, params), plan in zip(reads, plans, strict=True)
    ]
    if not conn.in_transaction():
        conn.begin()
    driver = conn.connection.driver_connection
    assert driver is not None
    cursors: list[Any] = []
    try:
        with driver.pipeline():
            for statement in statements:
                if statement is None:
                    cursors.append(None)
                    continue
                cursor = driver.cursor()
                cursors.append(cursor)
                if listeners := conn.dispatch.before_cursor_execute:
                    listeners(conn, cursor, statement[0], statement[1], None, False)
                cursor.execute(*statement)
        found = [[] if cursor is None else cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            if cursor is not None:
                cursor.close()
    return [FastSelect._records(plan, rows) for plan, rows in zip(plans, found, strict=True)]


def execute_raw(conn: Connection, sql: str, bound: Any) -> list[tuple[Any, ...]]:
    """Run ``sql`` (in the driver's parameter style) inside the connection's transaction
    (begun here if none is), on its own DB-API cursor; the rows as the driver gives them."""
    if not conn.in_transaction():
        conn.begin()
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if listeners := conn.dispatch.before_cursor_execute:
            # Keep SQL tracing and statement counting working on this path too.
            listeners(conn, cursor, sql, bound, None, False)
        cursor.execute(sql, bound)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    finally:
        cursor.close()
    return rows
