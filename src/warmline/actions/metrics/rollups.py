"""Applying contribution changes to the rollups: new minus old, one upsert per key.

Every contribution adds to a row of each kept grouping (:data:`GROUPINGS`) for its day
and for its month. The changes of a whole batch are summed per row first, then written
in key order (so concurrent PostgreSQL writers lock rows in the same order), and rows
that no longer sum any contribution are removed: a rollup kept at ingest holds exactly
the rows a rebuild makes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from warmline.domain.metrics.counters import COUNTERS
from warmline.domain.metrics.dimensions import DIMENSIONS, GROUPINGS, rollup_key
from warmline.storage import schema as t

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
    for period, bucket in (("day", day), ("month", day.replace(day=1))):
        for grouping in GROUPINGS:
            row = deltas[(grouping, period, bucket, *rollup_key(grouping, dims))]
            row[0] += sign
            for name, n in counts.items():
                row[_INDEX[name] + 1] += sign * n


def apply(conn: Connection, deltas: Deltas) -> int:
    """Write the summed changes; return the number of rows changed."""
    changed = sorted((key, row) for key, row in deltas.items() if any(row))
    if not changed:
        return 0
    keys = ("grouping", "period", "bucket", *DIMENSIONS)
    params = [
        dict(zip(keys, key, strict=True))
        | {"sources": row[0]}
        | dict(zip(COUNTERS, row[1:], strict=True))
        for key, row in changed
    ]
    conn.execute(_upsert(conn.dialect.name), params)
    emptied = [dict(zip(keys, key, strict=True)) for key, row in changed if row[0] < 0]
    if emptied:
        r = t.metric_rollups
        conn.execute(
            r.delete().where(*(r.c[k] == sa.bindparam(f"b_{k}") for k in keys), r.c.sources == 0),
            [{f"b_{k}": v for k, v in e.items()} for e in emptied],
        )
    return len(changed)


def _upsert(dialect: str) -> Any:
    r = t.metric_rollups
    insert: Any = postgresql.insert(r) if dialect == "postgresql" else sqlite.insert(r)
    summed = ("sources", *COUNTERS)
    return insert.on_conflict_do_update(
        index_elements=[r.c.grouping, r.c.period, r.c.bucket, *(r.c[d] for d in DIMENSIONS)],
        set_={name: r.c[name] + insert.excluded[name] for name in summed},
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
