"""Reads behind the service promises: each contact's first customer message and first reply,
promises made, cases opened, in a range."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.storage import schema as t

Row = dict[str, Any]


def first_replies(
    conn: Connection, since: dt.datetime, until: dt.datetime, channel: str | None
) -> list[Row]:
    """Contacts started in ``since..until`` (on ``channel``): when the customer first wrote
    and when an agent first answered after that (None if not yet)."""
    i, m = t.interactions, t.messages
    contacts = sa.select(i.c.id).where(i.c.started_at >= since, i.c.started_at < until)
    if channel:
        contacts = contacts.where(i.c.channel == channel)
    first = (
        sa.select(m.c.interaction_id, sa.func.min(m.c.sent_at).label("asked_at"))
        .where(m.c.speaker == "customer", m.c.interaction_id.in_(contacts.scalar_subquery()))
        .group_by(m.c.interaction_id)
        .subquery()
    )
    reply = sa.select(sa.func.min(m.c.sent_at)).where(
        m.c.interaction_id == first.c.interaction_id,
        m.c.speaker == "agent",
        m.c.sent_at >= first.c.asked_at,
    )
    query = sa.select(
        i.c.id,
        i.c.external_id,
        i.c.customer_id,
        i.c.channel,
        first.c.asked_at.label("start"),
        reply.scalar_subquery().label("done_at"),
    ).join(first, first.c.interaction_id == i.c.id)
    return [dict(r) for r in conn.execute(query).mappings()]


def promises_made(conn: Connection, since: dt.datetime, until: dt.datetime) -> list[Row]:
    k = t.commitments
    query = sa.select(
        k.c.id,
        k.c.external_id,
        k.c.customer_id,
        k.c.text,
        k.c.made_at.label("start"),
        k.c.fulfilled_at.label("done_at"),
    ).where(k.c.made_at >= since, k.c.made_at < until)
    return [dict(r) for r in conn.execute(query).mappings()]


def cases_opened(conn: Connection, since: dt.datetime, until: dt.datetime) -> list[Row]:
    c = t.cases
    query = sa.select(
        c.c.id,
        c.c.external_id,
        c.c.customer_id,
        c.c.title.label("text"),
        c.c.opened_at.label("start"),
        c.c.resolved_at.label("done_at"),
    ).where(c.c.opened_at >= since, c.c.opened_at < until)
    return [dict(r) for r in conn.execute(query).mappings()]


def names(conn: Connection, customers: set[str]) -> dict[str, str | None]:
    c = t.customers
    if not customers:
        return {}
    rows = conn.execute(sa.select(c.c.id, c.c.name).where(c.c.id.in_(sorted(customers))))
    return {r.id: r.name for r in rows}
