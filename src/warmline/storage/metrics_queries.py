"""Reads behind the metrics: the rows contributions are computed from, the contributions
as last applied, and the rollups a question is answered from."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.domain.metrics.contributions import DEFAULT_WINDOW
from warmline.domain.metrics.counters import COUNTERS
from warmline.domain.metrics.dimensions import DIMENSIONS, NONE, mask_of, value
from warmline.storage import schema as t
from warmline.storage.chunking import chunks
from warmline.storage.compiled_select import FastSelect, bound_value

STATE_ID = "metrics"
Row = dict[str, Any]

#: The interaction columns a contribution reads.
INTERACTION_COLUMNS = (
    "id", "customer_id", "started_at", "status", "channel", "queue", "agent_id", "outcome",
    "reason", "predicted_reason", "transfers", "restatements", "mood", "case_id",
)  # fmt: skip


def repeat_window(conn: Connection) -> dt.timedelta:
    """The repeat window the rollups are kept with (7 days until a rebuild sets another)."""
    days = conn.execute(
        sa.select(t.metric_state.c.window_days).where(t.metric_state.c.id == STATE_ID)
    ).scalar()
    return dt.timedelta(days=days) if days else DEFAULT_WINDOW


def metric_state(conn: Connection) -> Row | None:
    row = conn.execute(sa.select(t.metric_state).where(t.metric_state.c.id == STATE_ID)).first()
    return dict(row._mapping) if row else None


def _interactions_select() -> sa.Select[Any]:
    i = t.interactions
    return sa.select(*(i.c[name] for name in INTERACTION_COLUMNS))


#: The columns a contribution (or the choice of what a change reaches) reads, per table.
CASE_COLUMNS = ("id", "customer_id", "interaction_id", "opened_at", "resolved_at", "effort")
FEEDBACK_COLUMNS = ("id", "customer_id", "interaction_id", "kind", "score", "submitted_at")
COMMITMENT_COLUMNS = (
    "id", "customer_id", "interaction_id", "case_id", "due_at", "made_at", "fulfilled_at",
    "status", "made_by",
)  # fmt: skip


@functools.cache
def _select_in(
    table: sa.Table, columns: tuple[str, ...], column: str, bounded: bool = False
) -> FastSelect:
    """``columns`` of ``table`` where ``column`` is one of ``values`` (and, ``bounded``,
    ``started_at`` within ``since..until``), run on the cursor: the reads of a batch's
    metrics are many short ``IN`` lists, and building and compiling each through
    SQLAlchemy cost more than running it."""
    query = sa.select(*(table.c[name] for name in columns)).where(
        table.c[column].in_(sa.bindparam("values", expanding=True))
    )
    if bounded:
        started = table.c.started_at
        query = query.where(started >= sa.bindparam("since"), started <= sa.bindparam("until"))
    return FastSelect(query)


def _rows_in(
    conn: Connection,
    table: sa.Table,
    columns: tuple[str, ...],
    column: str,
    values: Iterable[str],
    **bounds: Any,
) -> list[Row]:
    select = _select_in(table, columns, column, bool(bounds))
    out: list[Row] = []
    for chunk in chunks(sorted(set(values))):
        out += select.all(conn, values=chunk, **bounds)
    return out


def interactions_by_id(conn: Connection, ids: Collection[str]) -> list[Row]:
    return _rows_in(conn, t.interactions, INTERACTION_COLUMNS, "id", ids)


def interactions_of(
    conn: Connection,
    customers: Collection[str],
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[Row]:
    """The interactions of ``customers`` (started within ``since..until`` when given)."""
    if since is None and until is None:
        return _rows_in(conn, t.interactions, INTERACTION_COLUMNS, "customer_id", customers)
    started = t.interactions.c.started_at
    low = since if since is not None else dt.datetime.min.replace(tzinfo=dt.UTC)
    high = until if until is not None else dt.datetime.max.replace(tzinfo=dt.UTC)
    return _rows_in(
        conn,
        t.interactions,
        INTERACTION_COLUMNS,
        "customer_id",
        customers,
        since=bound_value(started, low, conn.dialect),
        until=bound_value(started, high, conn.dialect),
    )


def cases_by(conn: Connection, column: str, values: Iterable[str]) -> list[Row]:
    return _rows_in(conn, t.cases, CASE_COLUMNS, column, values)


def feedback_by(conn: Connection, column: str, values: Iterable[str]) -> list[Row]:
    return _rows_in(conn, t.feedback, FEEDBACK_COLUMNS, column, values)


def commitments_by(conn: Connection, column: str, values: Iterable[str]) -> list[Row]:
    return _rows_in(conn, t.commitments, COMMITMENT_COLUMNS, column, values)


def segments(conn: Connection, customers: Iterable[str]) -> dict[str, str]:
    """Each customer's segment trait, as a dimension value ('' when none)."""
    out = {}
    for row in _rows_in(conn, t.customers, ("id", "traits"), "id", customers):
        entry = (row["traits"] or {}).get("segment") or {}
        out[row["id"]] = value(entry.get("value")) if entry else NONE
    return out


_CONTRIBUTION_COLUMNS = tuple(c.name for c in t.metric_contributions.columns)


def contributions_by(conn: Connection, column: str, values: Iterable[str]) -> dict[str, Row]:
    """Contributions as last applied, by source id."""
    rows = _rows_in(conn, t.metric_contributions, _CONTRIBUTION_COLUMNS, column, values)
    return {r["source_id"]: r for r in rows}


def customers_with_rows(conn: Connection) -> list[str]:
    """Every customer with a row a metric counts (for a rebuild), sorted."""
    found: set[str] = set()
    for table in (t.interactions, t.cases, t.feedback, t.commitments):
        found.update(conn.execute(sa.select(table.c.customer_id).distinct()).scalars())
    return sorted(found)


def rollup_rows(
    conn: Connection,
    *,
    grouping: int,
    period: str,
    first: dt.date,
    last: dt.date,
    filters: dict[str, str],
    by: str | None,
    counters: Collection[str] = COUNTERS,
) -> list[tuple[Any, ...]]:
    """Rollup rows of one grouping in ``first..last``, summed by bucket (and ``by``): plain
    tuples ``(bucket, [by value,] *counters)``, as many as the answer has points."""
    r = t.metric_rollups
    keys = [r.c.bucket] + ([r.c[by]] if by else [])
    query = (
        sa.select(*keys, *(sa.func.sum(r.c[name]).label(name) for name in counters))
        .where(
            r.c.grouping == grouping,
            r.c.period == period,
            r.c.bucket >= first,
            r.c.bucket <= last,
            *(r.c[name] == wanted for name, wanted in filters.items()),
        )
        .group_by(*keys)
    )
    return [tuple(row) for row in conn.execute(query)]


def rollup_table(conn: Connection) -> list[tuple[Any, ...]]:
    """Every rollup row, sorted (to compare a rebuild with what ingest kept)."""
    r = t.metric_rollups
    keys = [r.c.grouping, r.c.period, r.c.bucket, *(r.c[d] for d in DIMENSIONS)]
    return [tuple(row) for row in conn.execute(sa.select(r).order_by(*keys))]


def dimension_values(conn: Connection, dimension: str, limit: int = 200) -> list[str]:
    """The values a dimension has taken (for the desk's filters), most frequent first."""
    r = t.metric_rollups
    query = (
        sa.select(r.c[dimension])
        .where(r.c.grouping == mask_of([dimension]), r.c.period == "month", r.c[dimension] != NONE)
        .group_by(r.c[dimension])
        .order_by(sa.func.sum(r.c.sources).desc(), r.c[dimension])
        .limit(limit)
    )
    return list(conn.execute(query).scalars())
