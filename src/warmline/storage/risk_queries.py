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
from warmline.storage.compiled_select import FastSelect, bound_value

Row = dict[str, Any]
#: The newest customer messages read per customer (complaint language, last words).
MESSAGES_PER_CUSTOMER = 20


def _grouped(
    conn: Connection, select: FastSelect, customers: Collection[str], since: dt.datetime
) -> dict[str, list[Row]]:
    out: defaultdict[str, list[Row]] = defaultdict(list)
    # Every ``since`` here is a UTC timestamp column's: bound as that type binds it.
    bound = bound_value(t.interactions.c.started_at, since, conn.dialect)
    for chunk in chunks(sorted(customers)):
        for r in select.all(conn, customers=chunk, since=bound):
            out[r["customer_id"]].append(r)
    return out


def _recent(query: sa.Select[Any], column: sa.Column[Any]) -> FastSelect:
    """``query`` for the customers bound as ``customers``, run on the cursor (the risk of a
    batch's customers is read on every batch)."""
    return FastSelect(query.where(column.in_(sa.bindparam("customers", expanding=True))))


_i, _k, _a, _m = t.interactions, t.commitments, t.activities, t.messages
_SINCE: sa.BindParameter[dt.datetime] = sa.bindparam("since")
_INTERACTIONS = _recent(
    sa.select(
        _i.c.id,
        _i.c.customer_id,
        _i.c.source,
        _i.c.channel,
        _i.c.started_at,
        _i.c.agent_id,
        _i.c.queue,
        _i.c.reason,
        _i.c.predicted_reason,
        _i.c.mood,
        _i.c.outcome,
        _i.c.transfers,
        _i.c.case_id,
        _i.c.verified_by,
    ).where(_i.c.started_at >= _SINCE),
    _i.c.customer_id,
)
_PROMISES = _recent(
    sa.select(
        _k.c.id, _k.c.customer_id, _k.c.text, _k.c.due_at, _k.c.status, _k.c.fulfilled_at,
        _k.c.made_by,
    ).where(sa.or_(_k.c.due_at >= _SINCE, _k.c.fulfilled_at >= _SINCE)),
    _k.c.customer_id,
)  # fmt: skip
_ACTIVITIES = _recent(
    sa.select(_a.c.id, _a.c.customer_id, _a.c.name, _a.c.summary, _a.c.occurred_at).where(
        _a.c.occurred_at >= _SINCE
    ),
    _a.c.customer_id,
)
_MESSAGES = _recent(
    sa.select(_m.c.id, _m.c.customer_id, _m.c.text, _m.c.sent_at).where(
        _m.c.sent_at >= _SINCE, _m.c.speaker == "customer"
    ),
    _m.c.customer_id,
)


def recent_memory(
    conn: Connection, customers: Collection[str], since: dt.datetime
) -> dict[str, dict[str, list[Row]]]:
    """Per customer: interactions, promises (open, or due or kept since), activities and
    their own messages (newest first) since ``since``."""
    interactions = _grouped(conn, _INTERACTIONS, customers, since)
    promises = _grouped(conn, _PROMISES, customers, since)
    activities = _grouped(conn, _ACTIVITIES, customers, since)
    messages = _grouped(conn, _MESSAGES, customers, since)
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


_LIVE = FastSelect(
    sa.select(t.customers.c.id).where(
        t.customers.c.id.in_(sa.bindparam("customers", expanding=True)),
        t.customers.c.status == "active",
    )
)
_RISK_ROWS = _recent(sa.select(t.customer_risk), t.customer_risk.c.customer_id)


def live_customers(conn: Connection, customers: Collection[str]) -> set[str]:
    out = set[str]()
    for chunk in chunks(sorted(customers)):
        out.update(cid for (cid,) in _LIVE.rows(conn, customers=chunk))
    return out


def risk_rows(conn: Connection, customers: Collection[str]) -> dict[str, Row]:
    out = dict[str, Row]()
    for chunk in chunks(sorted(customers)):
        out.update((row["customer_id"], row) for row in _RISK_ROWS.all(conn, customers=chunk))
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
