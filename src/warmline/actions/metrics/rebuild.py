"""``warmline metrics rebuild``: every contribution recomputed from the memory, the rollups
summed again, in one transaction (readers see the old figures until it commits)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.engine import Connection, Engine

from warmline.actions.metrics import rollups
from warmline.actions.metrics.refresh import compute, contribution_row
from warmline.actions.metrics.touched import Touched
from warmline.errors import InvalidRequest
from warmline.storage import metrics_queries as mq
from warmline.storage import schema as t
from warmline.storage.engine import writing

#: Customers recomputed together (their contributions summed in memory, then written).
CUSTOMERS_PER_STEP = 500
MAX_WINDOW_DAYS = 90


def rebuild_metrics(
    engine: Engine,
    *,
    window_days: int | None = None,
    progress: Callable[[int], None] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Recompute every contribution and rollup; return the number of contributions.
    ``window_days`` sets a new repeat window (kept for ingest from then on)."""
    with writing(engine) as conn, conn.begin():
        return rebuild_in(conn, window_days=window_days, progress=progress, now=now)


def rebuild_in(
    conn: Connection,
    *,
    window_days: int | None = None,
    progress: Callable[[int], None] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """:func:`rebuild_metrics` inside the caller's transaction (``warmline rebuild`` calls it
    after replaying the raw log)."""
    if window_days is not None and not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise InvalidRequest(
            "invalid_window",
            f"the repeat window must be 1 to {MAX_WINDOW_DAYS} days, not {window_days}",
            hint="e.g. --window-days 7",
        )
    window = dt.timedelta(days=window_days) if window_days else mq.repeat_window(conn)
    _set_state(conn, window.days, now or dt.datetime.now(dt.UTC))
    rollups.clear(conn)
    customers = mq.customers_with_rows(conn)
    total = 0
    for start in range(0, len(customers), CUSTOMERS_PER_STEP):
        step = set(customers[start : start + CUSTOMERS_PER_STEP])
        new, _ = compute(conn, Touched(customers=step), window)
        if new:
            conn.execute(
                t.metric_contributions.insert(), [contribution_row(c) for c in new.values()]
            )
            rollups.apply(conn, rollups.deltas_of((None, c) for c in new.values()))
        total += len(new)
        if progress:
            progress(len(step))
    return total


def _set_state(conn: Connection, window_days: int, now: dt.datetime) -> None:
    s = t.metric_state
    updated = conn.execute(
        s.update().where(s.c.id == mq.STATE_ID).values(window_days=window_days, rebuilt_at=now)
    )
    if updated.rowcount == 0:
        conn.execute(s.insert().values(id=mq.STATE_ID, window_days=window_days, rebuilt_at=now))


def rollups_agree(engine: Engine) -> bool:
    """Whether a rebuild would leave the rollups as they are (rebuilds, compares, rolls back)."""
    with writing(engine) as conn:
        transaction = conn.begin()
        try:
            before = mq.rollup_table(conn)
            rebuild_in(conn)
            return mq.rollup_table(conn) == before
        finally:
            transaction.rollback()
