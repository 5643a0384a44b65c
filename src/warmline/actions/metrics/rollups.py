"""Applying contribution changes to the rollups: new minus old, one upsert per key.

Every contribution adds to a row of each kept grouping (:data:`GROUPINGS`) for its day
and for its month. The changes of a whole batch are summed per row first (with numpy:
one vector of counters per contribution, added under each of its keys), then written in
key order (so concurrent PostgreSQL writers lock rows in the same order), and rows that
no longer sum any contribution are removed: a rollup kept at ingest holds exactly the
rows a rebuild makes.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.engine import Connection, Dialect

from warmline.domain.metrics.counters import (
    CASE_COUNTERS,
    COUNTERS,
    FEEDBACK_COUNTERS,
    INTERACTION_COUNTERS,
    PROMISE_COUNTERS,
)
from warmline.domain.metrics.dimensions import DIMENSIONS, GROUPINGS, NONE, mask_of
from warmline.storage import schema as t
from warmline.storage.bulk import array_types

_INDEX = {name: n + 1 for n, name in enumerate(COUNTERS)}
_PERIODS = ("day", "month")
#: Summed columns of a row: the number of contributions first, then COUNTERS in order.
WIDTH = len(COUNTERS) + 1
Key = tuple[Any, ...]  # (grouping, period, bucket, *dimension values)


@dataclass(frozen=True)
class Deltas:
    """The summed changes of a batch, in key order: ``values[n]`` (``WIDTH`` integers)
    for the row coded ``codes[n]`` (grouping, period, bucket, dimension value ranks in
    ``names``)."""

    codes: np.ndarray
    names: list[list[str]]
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)

    def key(self, n: int) -> Key:
        grouping, period, bucket, *dims = self.codes[n].tolist()
        return (
            grouping,
            _PERIODS[period],
            dt.date.fromordinal(bucket),
            *(self.names[d][code] for d, code in enumerate(dims)),
        )

    def as_dict(self) -> dict[Key, list[int]]:
        return {self.key(n): row for n, row in enumerate(self.values.tolist())}


def deltas_of(changes: Iterable[tuple[Mapping[str, Any] | None, Any]]) -> Deltas:
    """Deltas of (old contribution row or None, new Contribution or None) pairs.

    Each side of a change (the old row taken away, the new one added) is coded as
    integers: its day, its month and each dimension value by rank (so that integer
    order is the order of the values themselves, '' first). The rows it adds to are
    those codes under every grouping and period (the dimensions a grouping sums over
    coded as '', 0), made unique with numpy; each side's non-zero counters are then
    added to each of its rows in one flat array.
    """
    signs: list[int] = []
    days: list[dt.date] = []
    dims: list[tuple[str, ...]] = []
    entry_side: list[int] = []
    entry_column: list[int] = []
    entry_count: list[int] = []
    for old, new in changes:
        found: list[tuple[int, dt.date, tuple[str, ...], Mapping[str, int]]] = []
        if old is not None:
            found.append((-1, old["day"], tuple(old[d] for d in DIMENSIONS), old["counts"]))
        if new is not None:
            found.append((1, new.day, tuple(new.dims[d] for d in DIMENSIONS), new.counts))
        for sign, day, values, counts in found:
            n = len(signs)
            signs.append(sign)
            days.append(day)
            dims.append(values)
            for name, count in counts.items():
                entry_side.append(n)
                entry_column.append(_INDEX[name])
                entry_count.append(sign * count)
    if not signs:
        return Deltas(np.zeros((0, len(_KEYS)), dtype=np.int64), [], np.zeros((0, WIDTH), np.int64))
    sides = len(signs)
    # Dimension values coded by rank ('' is 0, and sorts first).
    names: list[list[str]] = []
    coded = np.zeros((sides, len(DIMENSIONS)), dtype=np.int64)
    for d in range(len(DIMENSIONS)):
        column = [v[d] for v in dims]
        ranked = sorted({NONE, *column})
        rank = {v: n for n, v in enumerate(ranked)}
        coded[:, d] = [rank[v] for v in column]
        names.append(ranked)
    ordinals = {day: day.toordinal() for day in set(days)}
    day_codes = np.fromiter((ordinals[day] for day in days), dtype=np.int64, count=sides)
    month_codes = np.fromiter(
        (ordinals[day] - day.day + 1 for day in days), dtype=np.int64, count=sides
    )
    # Every side's keys: (grouping, period 0 day / 1 month, bucket, *dimension codes).
    blocks = []
    for grouping in GROUPINGS:
        kept = coded * _MASKS[grouping]
        for period, buckets in ((0, day_codes), (1, month_codes)):
            block = np.empty((sides, len(_KEYS)), dtype=np.int64)
            block[:, 0] = grouping
            block[:, 1] = period
            block[:, 2] = buckets
            block[:, 3:] = kept
            blocks.append(block)
    per = len(blocks)
    every = np.stack(blocks, axis=1).reshape(sides * per, len(_KEYS))
    keys, rows = _unique_rows(every)
    rows = rows.reshape(sides, per)
    summed = np.zeros(len(keys) * WIDTH, dtype=np.int64)
    # The number of sources, then the counters, added under each of a side's rows.
    np.add.at(summed, (rows * WIDTH).ravel(), np.repeat(np.asarray(signs, np.int64), per))
    if entry_side:
        side = np.asarray(entry_side, dtype=np.int64)
        cells = rows[side] * WIDTH + np.asarray(entry_column, dtype=np.int64)[:, None]
        np.add.at(summed, cells.ravel(), np.repeat(np.asarray(entry_count, np.int64), per))
    return Deltas(keys, names, summed.reshape(len(keys), WIDTH))


def _unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of non-negative integer ``rows`` in lexical order, and where each
    row went. Packed into one integer per row (mixed radix keeps the order) when they fit,
    which sorts far faster than rows compared column by column."""
    low = rows.min(axis=0)
    radices = (rows.max(axis=0) - low + 1).tolist()
    if math.prod(radices) >= 2**62:
        unique, where = np.unique(rows, axis=0, return_inverse=True)
        return unique, where.reshape(-1)
    packed = np.zeros(len(rows), dtype=np.int64)
    for column, radix in enumerate(radices):
        packed = packed * radix + (rows[:, column] - low[column])
    unique_packed, where = np.unique(packed, return_inverse=True)
    unique = np.empty((len(unique_packed), rows.shape[1]), dtype=np.int64)
    for column in range(len(radices) - 1, -1, -1):
        unique_packed, unique[:, column] = np.divmod(unique_packed, radices[column])
        unique[:, column] += low[column]
    return unique, where.reshape(-1)


def apply(conn: Connection, deltas: Deltas) -> int:
    """Write the summed changes; return the number of rows changed.

    Written on the driver's cursor with positional rows, in key order: a batch of a
    historical import changes tens of thousands of rows, and building a dict per row and
    binding each through SQLAlchemy cost more than the upserts themselves.
    """
    if not len(deltas):
        return 0
    changed = np.flatnonzero(deltas.values.any(axis=1))
    if not len(changed):
        return 0
    postgres = conn.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    codes = deltas.codes[changed]
    values = deltas.values[changed]
    # Key columns one by one (numpy picks each value's text), then zipped into rows.
    days, where = np.unique(codes[:, 2], return_inverse=True)
    dates = [dt.date.fromordinal(n) for n in days.tolist()]
    keys: list[np.ndarray] = [
        codes[:, 0],
        np.array(_PERIODS, dtype=object)[codes[:, 1]],
        np.array(dates if postgres else [d.isoformat() for d in dates], dtype=object)[
            where.reshape(-1)
        ],
        *(np.array(deltas.names[d], dtype=object)[codes[:, 3 + d]] for d in range(len(DIMENSIONS))),
    ]
    emptied_at = np.flatnonzero(values[:, 0] < 0)
    if postgres:
        # One statement of one array per column, in key order (concurrent writers lock
        # shared rows in one order), not a statement per row.
        columns = [*(k.tolist() for k in keys), *values.T.tolist()]
        conn.exec_driver_sql(_unnest_upsert_sql(conn.dialect), tuple(columns))
        if len(emptied_at):
            emptied = tuple(k[emptied_at].tolist() for k in keys)
            conn.exec_driver_sql(_unnest_delete_sql(conn.dialect), emptied)
        return len(codes)
    # One writer at a time: rows are written with only the families of counters they
    # change (an interaction's 13, not all 47), the others inserted as 0 and left.
    family = np.zeros(len(codes), dtype=np.int64)
    for bit, columns_at in enumerate(_FAMILIES):
        family |= values[:, columns_at].any(axis=1).astype(np.int64) << bit
    for found in np.unique(family).tolist():
        chosen = [0] + [c for bit, cols in enumerate(_FAMILIES) if found >> bit & 1 for c in cols]
        rows_at, summed = np.flatnonzero(family == found), tuple(chosen)
        picked = values[rows_at][:, summed]
        rows = zip(*(k[rows_at].tolist() for k in keys), *picked.T.tolist(), strict=True)
        conn.exec_driver_sql(_upsert_sql(mark, summed), list(rows))
    if len(emptied_at):
        where_sql = " AND ".join(f'"{k}" = {mark}' for k in _KEYS)
        # Column names are this module's constants; every value is a bound parameter.
        delete = f"DELETE FROM metric_rollups WHERE {where_sql} AND sources = 0"  # noqa: S608
        conn.exec_driver_sql(
            delete, list(zip(*(k[emptied_at].tolist() for k in keys), strict=True))
        )
    return len(codes)


_KEYS = ("grouping", "period", "bucket", *DIMENSIONS)
#: Per grouping, 1 for the dimensions it carries and 0 for those it sums over.
_MASKS = {g: np.array([int(bool(g & mask_of([d]))) for d in DIMENSIONS]) for g in GROUPINGS}
_SUMMED = ("sources", *COUNTERS)


#: Columns of ``Deltas.values`` holding each family of counters (a source adds to one).
_FAMILIES = tuple(
    [_INDEX[name] for name in family]
    for family in (INTERACTION_COUNTERS, CASE_COUNTERS, FEEDBACK_COUNTERS, PROMISE_COUNTERS)
)


@functools.cache
def _upsert_sql(mark: str, summed: tuple[int, ...]) -> str:
    """The upsert adding the ``summed`` columns of ``Deltas.values`` (the others of a new
    row start at 0 and an existing row's stay as they are)."""
    names = [_SUMMED[n] for n in summed]
    zeros = [name for name in _SUMMED if name not in names]
    columns = ", ".join(f'"{c}"' for c in (*_KEYS, *names, *zeros))
    values = ", ".join([mark] * (len(_KEYS) + len(names)) + ["0"] * len(zeros))
    keys = ", ".join(f'"{k}"' for k in _KEYS)
    sums = ", ".join(f'"{c}" = metric_rollups."{c}" + excluded."{c}"' for c in names)
    return (  # column names are this module's constants; every value is a bound parameter
        f"INSERT INTO metric_rollups ({columns}) VALUES ({values}) "  # noqa: S608
        f"ON CONFLICT ({keys}) DO UPDATE SET {sums}"
    )


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
