"""Reads behind the risk score: each customer's recent memory, the scores in force, and the
at-risk queue."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.storage import schema as t
from warmline.storage.chunking import chunks

Row = dict[str, Any]
#: The newest customer messages read per customer (complaint language, last words).
MESSAGES_PER_CUSTOMER = 20


def _grouped(
    conn: Connection, query: Any, customers: Collection[str], column: Any
) -> dict[str, list[Row]]:
    out: defaultdict[str, list[Row]] = defaultdict(list)
    for chunk in chunks(sorted(customers)):
        for r in conn.execute(query.where(column.in_(chunk))).mappings():
            out[r["customer_id"]].append(dict(r))
    return out


def recent_memory(
    conn: Connection, customers: Collection[str], since: dt.datetime
) -> dict[str, dict[str, list[Row]]]:
    """Per customer: interactions, promises (open, or due or kept since), activities and
    their own messages (newest first) since ``since``."""
    i, k, a, m = t.interactions, t.commitments, t.activities, t.messages
    interactions = _grouped(
        conn,
        sa.select(
            i.c.id,
            i.c.customer_id,
            i.c.source,
            i.c.channel,
            i.c.started_at,
            i.c.agent_id,
            i.c.queue,
            i.c.reason,
            i.c.predicted_reason,
            i.c.mood,
            i.c.outcome,
            i.c.transfers,
            i.c.case_id,
            i.c.verified_by,
        ).where(i.c.started_at >= since),
        customers,
        i.c.customer_id,
    )
    promises = _grouped(
        conn,
        sa.select(
            k.c.id, k.c.customer_id, k.c.text, k.c.due_at, k.c.status, k.c.fulfilled_at, k.c.made_by
        ).where(sa.or_(k.c.due_at >= since, k.c.fulfilled_at >= since)),
        customers,
        k.c.customer_id,
    )
    activities = _grouped(
        conn,
        sa.select(a.c.id, a.c.customer_id, a.c.name, a.c.summary, a.c.occurred_at).where(
            a.c.occurred_at >= since
        ),
        customers,
        a.c.customer_id,
    )
    messages = _grouped(
        conn,
        sa.select(m.c.id, m.c.customer_id, m.c.text, m.c.sent_at).where(
            m.c.sent_at >= since, m.c.speaker == "customer"
        ),
        customers,
        m.c.customer_id,
    )
    out = {}
    for cid in customers:
        newest = sorted(messages.get(cid, []), key=lambda r: (r["sent_at"], r["id"]), reverse=True)
        out[cid] = {
            "interactions": interactions.get(cid, []),
            "promises": promises.get(cid, []),
            "activities": activities.get(cid, []),
            "messages": newest[:MESSAGES_PER_CUSTOMER],
        }
    return out


def live_customers(conn: Connection, customers: Collection[str]) -> set[str]:
    c, out = t.customers, set[str]()
    for chunk in chunks(sorted(customers)):
        out.update(
            conn.execute(
                sa.select(c.c.id).where(c.c.id.in_(chunk), c.c.status == "active")
            ).scalars()
        )
    return out


def risk_rows(conn: Connection, customers: Collection[str]) -> dict[str, Row]:
    r, out = t.customer_risk, dict[str, Row]()
    for chunk in chunks(sorted(customers)):
        out.update(
            (row["customer_id"], dict(row))
            for row in conn.execute(sa.select(r).where(r.c.customer_id.in_(chunk))).mappings()
        )
    return out


def due_for_review(conn: Connection, now: dt.datetime, limit: int = 1000) -> list[str]:
    """Customers whose score time alone has changed (a promise fell due)."""
    r = t.customer_risk
    query = (
        sa.select(r.c.customer_id).where(r.c.review_at <= now).order_by(r.c.review_at).limit(limit)
    )
    return list(conn.execute(query).scalars())


def with_open_promises_due(conn: Connection, since: dt.datetime, now: dt.datetime) -> list[str]:
    """Customers with a promise that fell due in ``since..now`` and is not kept."""
    k = t.commitments
    query = (
        sa.select(k.c.customer_id)
        .where(k.c.status == "open", k.c.due_at > since, k.c.due_at <= now)
        .distinct()
    )
    return list(conn.execute(query).scalars())


def at_risk_queue(conn: Connection, threshold: int, limit: int) -> list[Row]:
    """Customers at or above ``threshold`` nobody has reached out to since their latest
    sign, the highest first, with their names."""
    r, c = t.customer_risk, t.customers
    query = (
        sa.select(r, c.c.name, c.c.preferred_name)
        .join(c, c.c.id == r.c.customer_id)
        .where(
            r.c.score >= threshold,
            c.c.status == "active",
            sa.or_(r.c.outreach_at.is_(None), r.c.outreach_at < r.c.last_signal_at),
        )
        .order_by(r.c.score.desc(), r.c.last_signal_at.desc(), r.c.customer_id)
        .limit(limit)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def risk_of(conn: Connection, customer_id: str) -> Row | None:
    row = conn.execute(
        sa.select(t.customer_risk).where(t.customer_risk.c.customer_id == customer_id)
    ).first()
    return dict(row._mapping) if row else None


def recently_active(conn: Connection, since: dt.datetime) -> set[str]:
    """Customers with a contact, promise or activity since ``since``."""
    i, k, a = t.interactions, t.commitments, t.activities
    found: set[str] = set()
    for query in (
        sa.select(i.c.customer_id).where(i.c.started_at >= since),
        sa.select(k.c.customer_id).where(sa.or_(k.c.due_at >= since, k.c.status == "open")),
        sa.select(a.c.customer_id).where(a.c.occurred_at >= since),
    ):
        found.update(conn.execute(query.distinct()).scalars())
    return found


def risk_rows_all(conn: Connection) -> list[str]:
    return list(conn.execute(sa.select(t.customer_risk.c.customer_id)).scalars())


def sole_identifier(conn: Connection, customer_id: str) -> tuple[str, str] | None:
    """An identifier of the customer no other customer holds (verified ones first), to name
    them in an event Warmline records about them."""
    i = t.identifiers
    mine = conn.execute(
        sa.select(i.c.kind, i.c.value, i.c.verified)
        .where(i.c.customer_id == customer_id)
        .order_by(i.c.verified.desc(), i.c.kind, i.c.value)
    ).all()
    for kind, value, _ in mine:
        holders = conn.execute(
            sa.select(sa.func.count(sa.distinct(i.c.customer_id))).where(
                i.c.kind == kind, i.c.value == value
            )
        ).scalar_one()
        if holders == 1:
            return str(kind), str(value)
    return None
