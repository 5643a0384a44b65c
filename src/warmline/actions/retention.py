"""Retention: each kind of data is kept for its configured number of days, then removed.

A kind's rows go together with the raw events that carry the same content (a
message's text lives in its ``message.posted`` envelope too), so nothing past
its time survives in the raw log; a later ``warmline rebuild`` simply no longer
has it. Kinds without a configured period are kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warmline.actions.audit import append_chained, audit_row
from warmline.actions.metrics.refresh import refresh_metrics
from warmline.actions.metrics.touched import Touched
from warmline.actions.retries import in_write_transaction
from warmline.domain.access.roles import LOCAL_ADMIN
from warmline.errors import InvalidRequest
from warmline.storage import schema as t


@dataclass(frozen=True)
class Kind:
    table: sa.Table
    time_column: str
    event_type: str | None  # raw events holding the same content


KINDS = {
    "messages": Kind(t.messages, "sent_at", "message.posted"),
    "activities": Kind(t.activities, "occurred_at", "activity"),
    "feedback": Kind(t.feedback, "submitted_at", "feedback.submitted"),
    "assurances": Kind(t.assurances, "verified_at", "customer.authenticated"),
    "desk_pushes": Kind(t.desk_pushes, "at", None),
    "connector_gaps": Kind(t.connector_gaps, "received_at", None),
}


def _feedback_ids(conn: Connection, old: sa.ColumnElement[bool]) -> set[str]:
    return set(conn.execute(sa.select(t.feedback.c.id).where(old)).scalars())


def run_retention(
    engine: Engine, days: dict[str, int], *, now: dt.datetime | None = None, dry_run: bool = False
) -> dict[str, int]:
    """Remove what is older than its kind's period; return rows (and raw events) per kind."""
    unknown = sorted(set(days) - set(KINDS))
    if unknown:
        raise InvalidRequest(
            "unknown_retention_kind",
            f"no retention for {', '.join(unknown)}",
            hint=f"configure any of: {', '.join(KINDS)}",
        )
    now = now or dt.datetime.now(dt.UTC)
    removed: dict[str, int] = {}

    def removing(conn: Connection) -> None:  # again whole if it deadlocks
        for name, period in sorted(days.items()):
            kind, cutoff = KINDS[name], now - dt.timedelta(days=period)
            old = kind.table.c[kind.time_column] < cutoff
            count = conn.execute(sa.select(sa.func.count()).select_from(kind.table).where(old))
            removed[name] = int(count.scalar_one())
            if kind.event_type:
                raw = (t.raw_events.c.type == kind.event_type) & (t.raw_events.c.time < cutoff)
                raw_count = conn.execute(
                    sa.select(sa.func.count()).select_from(t.raw_events).where(raw)
                )
                removed[f"{name}.raw_events"] = int(raw_count.scalar_one())
                if not dry_run:
                    conn.execute(t.raw_events.delete().where(raw))
            if not dry_run:
                gone = _feedback_ids(conn, old) if kind.table is t.feedback else set()
                conn.execute(kind.table.delete().where(old))
                # Forgotten responses leave the CSAT, NPS and CES figures too.
                refresh_metrics(conn, Touched(feedback=gone))
        if not dry_run:
            conn.execute(t.desk_sessions.delete().where(t.desk_sessions.c.expires_at < now))
            append_chained(
                conn,
                [audit_row(LOCAL_ADMIN, "retention.run", None, {"days": days, "removed": removed})],
            )

    in_write_transaction(engine, removing)
    return removed
