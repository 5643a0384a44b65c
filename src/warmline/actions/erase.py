"""Erasure: a customer's personal data leaves every table, the raw log and the indexes.

What stays is a tombstone without personal data: the customer row with its
random id, status ``erased`` and the time (so links to it, and the audit log,
still resolve to "erased"), and SHA-256 hashes of the erased events' keys, so a
replayed old event is a duplicate and cannot bring the customer back. SQLite
runs with ``secure_delete`` and the write-ahead log is checkpointed and
truncated afterwards, so the bytes are gone from the database files too.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warmline.actions.audit import append_chained, audit_row
from warmline.actions.metrics.refresh import refresh_metrics
from warmline.actions.metrics.touched import Touched
from warmline.actions.outbox import enqueue
from warmline.actions.retries import in_write_transaction
from warmline.domain import webhooks
from warmline.domain.access.roles import Actor
from warmline.errors import Gone, NotFound
from warmline.storage import identity_queries as iq
from warmline.storage import schema as t

#: Tables holding a customer's data, erased row by row.
CUSTOMER_TABLES = (
    t.identifiers, t.name_tokens, t.interactions, t.messages, t.cases, t.commitments,
    t.activities, t.facts, t.assurances, t.feedback, t.desk_pushes,
    t.handovers, t.continuations, t.continuation_attempts, t.embed_links, t.form_links,
    t.visits, t.appointments, t.checkin_codes, t.customer_risk, t.webhook_deliveries, t.outbox,
)  # fmt: skip
#: Tables keyed by customer record: every record of the customer goes.
RECORD_TABLES = ((t.match_profiles, "origin_id"), (t.match_keys, "origin_id"))


def event_key_hash(source: str, event_id: str) -> str:
    return hashlib.sha256(f"{source}\x1f{event_id}".encode()).hexdigest()


def erase_customer(engine: Engine, customer_id: str, actor: Actor, reason: str) -> dict[str, int]:
    """Erase one customer with every record merged into them (following merges); return the
    rows removed per table. Merges and suggestions about them lose their evidence."""
    now = dt.datetime.now(dt.UTC)

    def erasing(conn: Connection) -> dict[str, int]:
        return _erase(conn, customer_id, actor, reason, now)

    removed = in_write_transaction(engine, erasing)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return removed


def _erase(
    conn: Connection, customer_id: str, actor: Actor, reason: str, now: dt.datetime
) -> dict[str, int]:
    """The erasure, in ``conn``'s transaction: the rows removed per table."""
    removed: dict[str, int] = {}
    row = conn.execute(
        sa.select(t.customers.c.status, t.customers.c.erased_at, t.customers.c.merged_into).where(
            t.customers.c.id == customer_id
        )
    ).first()
    if row is None:
        raise NotFound("customer_not_found", f"no customer '{customer_id[:60]}'")
    if row.status == "erased":
        raise Gone("customer_erased", f"this customer was already erased at {row.erased_at}")
    if row.status == "merged":
        customer_id = row.merged_into
    records = sorted(iq.cluster_of(conn, {customer_id}))
    keys = conn.execute(
        sa.select(t.raw_events.c.source, t.raw_events.c.event_id).where(
            t.raw_events.c.customer_id.in_(records)
        )
    ).all()
    if keys:
        conn.execute(
            t.erased_events.insert(),
            [{"key_hash": event_key_hash(s, i), "erased_at": now} for s, i in keys],
        )
    removed["raw_events"] = conn.execute(
        t.raw_events.delete().where(t.raw_events.c.customer_id.in_(records))
    ).rowcount
    for table in CUSTOMER_TABLES:
        removed[str(table.name)] = conn.execute(
            table.delete().where(table.c.customer_id.in_(records))
        ).rowcount
    # Their contributions leave the rollups (and the contributions table) with them.
    refresh_metrics(conn, Touched(customers=set(records)))
    for table, column in RECORD_TABLES:
        removed[str(table.name)] = conn.execute(
            table.delete().where(table.c[column].in_(records))
        ).rowcount
    s = t.merge_suggestions
    removed["merge_suggestions"] = conn.execute(
        s.delete().where(sa.or_(s.c.customer_id.in_(records), s.c.candidate_id.in_(records)))
    ).rowcount
    m = t.merges
    conn.execute(
        m.update()
        .where(sa.or_(m.c.from_id.in_(records), m.c.into_id.in_(records)))
        .values(status="erased", evidence={}, reason=None, undo_reason=None)
    )
    conn.execute(
        t.customers.update()
        .where(t.customers.c.id.in_(records))
        .values(
            status="erased",
            erased_at=now,
            merged_into=None,
            name=None,
            preferred_name=None,
            customer_since=None,
            traits={},
            updated_at=now,
        )
    )
    append_chained(
        conn,
        [audit_row(actor, "customer.erased", customer_id, {"reason": reason, "removed": removed})],
    )
    # Receivers erase their copy too. The event names the customer by id alone, and is
    # not keyed to them (its row would otherwise go with the rest of theirs).
    enqueue(conn, "customer.erased", webhooks.customer_erased(customer_id), now=now)
    return removed
