"""Applying contribution changes to the rollups: new minus old, one upsert per key.

Every contribution adds to a row of each kept grouping (:data:`GROUPINGS`) for its day
and for its month. The changes of a whole batch are summed per row first, then written
in key order (so concurrent PostgreSQL writers lock rows in the same order), and rows
that no longer sum any contribution are removed: a rollup kept at ingest holds exactly
the rows a rebuild makes.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.engine import Connection, Dialect

from warmline.domain.metrics.counters import COUNTERS
from warmline.domain.metrics.dimensions import DIMENSIONS, GROUPINGS, rollup_key
from warmline.storage import schema as t
from warmline.storage.bulk import array_types

_INDEX = {name: n for n, name in enumerate(COUNTERS)}
Key = tuple[Any, ...]  # (grouping, period, bucket, *dimension values)
#: Counters changed by row key: the number of contributions first, then COUNTERS in order.
Deltas = defaultdict[Key, list[int]]


def new_deltas() -> Deltas:
    return defaultdict(lambda: [0] * (len(COUNTERS) + 1))


def add_contribution(
    deltas: Deltas,
    day: Any,
    dims: Mapping[str, str],
    counts: Mapping[str, int],
    sign: int,
) -> None:
    """Add (``sign`` 1) or remove (-1) one contribution's counters under every grouping."""
    changes = [(_INDEX[name] + 1, sign * n) for name, n in counts.items()]
    month = day.replace(day=1)
    for grouping, values in _keys(tuple(dims[d] for d in DIMENSIONS)):
        for key in ((grouping, "day", day, *values), (grouping, "month", month, *values)):
            row = deltas[key]
            row[0] += sign
            for index, n in changes:
                row[index] += n


@functools.lru_cache(maxsize=65536)
def _keys(values: tuple[str, ...]) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """The dimension values a contribution has under each grouping (cached: contacts share
    a few thousand combinations)."""
    dims = dict(zip(DIMENSIONS, values, strict=True))
    return tuple((g, rollup_key(g, dims)) for g in GROUPINGS)


def apply(conn: Connection, deltas: Deltas) -> int:
    """Write the summed changes; return the number of rows changed.

    Written on the driver's cursor with positional rows: a batch of a historical import
    changes tens of thousands of rows, and building a dict per row and binding each
    through SQLAlchemy cost more than the upserts themselves.
    """
    changed = sorted((key, row) for key, row in deltas.items() if any(row))
    if not changed:
        return 0
    postgres = conn.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    rows = [
        (k[0], k[1], k[2] if postgres else k[2].isoformat(), *k[3:], *row) for k, row in changed
    ]
    emptied = [r[: len(_KEYS)] for r, (_, row) in zip(rows, changed, strict=True) if row[0] < 0]
    if postgres:
        # One statement of one array per column, not a statement per row.
        conn.exec_driver_sql(_unnest_upsert_sql(conn.dialect), _columns(rows))
        if emptied:
            conn.exec_driver_sql(_unnest_delete_sql(conn.dialect), _columns(emptied))
        return len(changed)
    conn.exec_driver_sql(_upsert_sql(mark), rows)
    if emptied:
        where = " AND ".join(f'"{k}" = {mark}' for k in _KEYS)
        # Column names are this module's constants; every value is a bound parameter.
        delete = f"DELETE FROM metric_rollups WHERE {where} AND sources = 0"  # noqa: S608
        conn.exec_driver_sql(delete, emptied)
    return len(changed)


_KEYS = ("grouping", "period", "bucket", *DIMENSIONS)
_SUMMED = ("sources", *COUNTERS)


@functools.cache
def _upsert_sql(mark: str) -> str:
    columns = ", ".join(f'"{c}"' for c in (*_KEYS, *_SUMMED))
    values = ", ".join([mark] * (len(_KEYS) + len(_SUMMED)))
    keys = ", ".join(f'"{k}"' for k in _KEYS)
    sums = ", ".join(f'"{c}" = metric_rollups."{c}" + excluded."{c}"' for c in _SUMMED)
    return (  # column names are this module's constants; every value is a bound parameter
        f"INSERT INTO metric_rollups ({columns}) VALUES ({values}) "  # noqa: S608
        f"ON CONFLICT ({keys}) DO UPDATE SET {sums}"
    )


def _columns(rows: list[tuple[Any, ...]]) -> tuple[list[Any], ...]:
    """Rows as one list per column (the arrays ``unnest`` takes)."""
    return tuple(list(column) for column in zip(*rows, strict=True))


def _unnest(dialect: Dialect, names: tuple[str, ...]) -> str:
    """``unnest`` of one array parameter per column, each cast to its column's type, in
    the arrays' order (kept: rows are locked in key order)."""
    types = array_types(t.metric_rollups, names, dialect)
    arrays = ", ".join(f"CAST(%s AS {kind})" for kind in types)
    columns = ", ".join(f'"{name}"' for name in names)
    return f"unnest({arrays}) WITH ORDINALITY AS v({columns}, ord)"


@functools.cache
def _unnest_upsert_sql(dialect: Dialect) -> str:
    columns = ", ".join(f'"{c}"' for c in (*_KEYS, *_SUMMED))
    keys = ", ".join(f'"{k}"' for k in _KEYS)
    sums = ", ".join(f'"{c}" = metric_rollups."{c}" + excluded."{c}"' for c in _SUMMED)
    return (  # column names and types are this module's constants; values are parameters
        f"INSERT INTO metric_rollups ({columns}) "  # noqa: S608
        f"SELECT {columns} FROM {_unnest(dialect, (*_KEYS, *_SUMMED))} ORDER BY ord "
        f"ON CONFLICT ({keys}) DO UPDATE SET {sums}"
    )


@functools.cache
def _unnest_delete_sql(dialect: Dialect) -> str:
    match = " AND ".join(f'metric_rollups."{k}" = v."{k}"' for k in _KEYS)
    return (  # column names and types are this module's constants; values are parameters
        f"DELETE FROM metric_rollups USING {_unnest(dialect, _KEYS)} "  # noqa: S608
        f"WHERE {match} AND metric_rollups.sources = 0"
    )


def clear(conn: Connection) -> None:
    conn.execute(t.metric_rollups.delete())
    conn.execute(t.metric_contributions.delete())


def deltas_of(changes: Iterable[tuple[Mapping[str, Any] | None, Any]]) -> Deltas:
    """Deltas of (old contribution row or None, new Contribution or None) pairs."""
    deltas = new_deltas()
    for old, new in changes:
        if old is not None:
            dims = {d: old[d] for d in DIMENSIONS}
            add_contribution(deltas, old["day"], dims, old["counts"], -1)
        if new is not None:
            add_contribution(deltas, new.day, new.dims, new.counts, 1)
    return deltas
