"""Read queries for handovers, channel switches and continuation codes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.errors import NotFound
from warmline.storage import schema as t
from warmline.storage.queries import interaction_row

#: Recent interactions looked at for a channel switch (the newest ones).
RECENT = 20
#: Earlier interactions of a case whose conversation goes into a handover note.
NOTE_EARLIER = 3
NOTE_MESSAGES = 400


def interaction(conn: Connection, interaction_id: str) -> dict[str, Any]:
    """An interaction by Warmline's id or the source's own id; 404 if there is none."""
    found = interaction_row(conn, interaction_id)
    if found is None:
        raise NotFound("interaction_not_found", f"no interaction '{interaction_id[:60]}'")
    return found


def recent_interactions(conn: Connection, customer_id: str) -> list[dict[str, Any]]:
    """The customer's newest interactions, newest first, with their case's state."""
    i, c = t.interactions, t.cases
    query = (
        sa.select(
            i.c.id,
            i.c.external_id,
            i.c.channel,
            i.c.status,
            i.c.started_at,
            i.c.ended_at,
            i.c.last_message_at,
            i.c.reason,
            i.c.subject,
            i.c.case_id,
            c.c.external_id.label("case_external_id"),
            c.c.status.label("case_status"),
        )
        .outerjoin(c, c.c.id == i.c.case_id)
        .where(i.c.customer_id == customer_id)
        .order_by(i.c.started_at.desc(), i.c.id.desc())
        .limit(RECENT)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def first_customer_line(conn: Connection, interaction_id: str) -> str | None:
    """What the customer said first in an interaction."""
    m = t.messages
    return conn.execute(
        sa.select(m.c.text)
        .where(m.c.interaction_id == interaction_id, m.c.speaker == "customer")
        .order_by(m.c.sent_at, m.c.id)
        .limit(1)
    ).scalar()


def conversation_rows(conn: Connection, interaction: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages a handover note is built from, oldest first: those of the case's most
    recent earlier interactions (where the customer may have stated the issue), then the
    interaction's own."""
    i, m = t.interactions, t.messages
    ids = [interaction["id"]]
    if interaction["case_id"]:
        earlier = conn.execute(
            sa.select(i.c.id)
            .where(
                i.c.case_id == interaction["case_id"],
                i.c.id != interaction["id"],
                i.c.started_at <= interaction["started_at"],
            )
            .order_by(i.c.started_at.desc(), i.c.id.desc())
            .limit(NOTE_EARLIER)
        ).scalars()
        ids = [*reversed(list(earlier)), *ids]
    rows = conn.execute(
        sa.select(m.c.interaction_id, m.c.speaker, m.c.text, m.c.agent_id, m.c.sent_at)
        .where(m.c.interaction_id.in_(ids))
        .order_by(m.c.sent_at, m.c.id)
        .limit(NOTE_MESSAGES)
    ).mappings()
    order = {iid: n for n, iid in enumerate(ids)}
    # Earlier interactions first even if their clocks overlap this one's.
    return sorted((dict(r) for r in rows), key=lambda r: order[r["interaction_id"]])


def customer_names(conn: Connection, customer_id: str) -> tuple[str | None, str | None]:
    """The customer's name and the name they like to be called."""
    c = t.customers
    row = conn.execute(sa.select(c.c.name, c.c.preferred_name).where(c.c.id == customer_id)).first()
    return (row.name, row.preferred_name) if row else (None, None)


def case_title(conn: Connection, case_id: str | None) -> str | None:
    if case_id is None:
        return None
    return conn.execute(sa.select(t.cases.c.title).where(t.cases.c.id == case_id)).scalar()


def open_commitments(conn: Connection, customer_id: str, limit: int = 10) -> list[dict[str, Any]]:
    """The customer's open promises, soonest due first."""
    k = t.commitments
    rows = conn.execute(
        sa.select(k.c.text, k.c.due_at, k.c.made_by)
        .where(k.c.customer_id == customer_id, k.c.status == "open")
        .order_by(k.c.due_at)
        .limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


def active_key_may_desk(conn: Connection, name: str, roles: list[str], now: dt.datetime) -> bool:
    """Whether an unrevoked, unexpired key called ``name`` with one of ``roles`` exists."""
    return active_desk_key(conn, name, roles, now) is not None


def active_desk_key(
    conn: Connection, name: str, roles: list[str], now: dt.datetime
) -> dict[str, Any] | None:
    """The newest unrevoked, unexpired key called ``name`` with one of ``roles``."""
    k = t.api_keys
    found = (
        conn.execute(
            sa.select(k.c.id, k.c.name, k.c.role, k.c.may_verify)
            .where(
                k.c.name == name,
                k.c.role.in_(roles),
                k.c.revoked_at.is_(None),
                sa.or_(k.c.expires_at.is_(None), k.c.expires_at > now),
            )
            .order_by(k.c.created_at.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(found) if found else None


def handover(conn: Connection, handover_id: str) -> dict[str, Any] | None:
    h = t.handovers
    row = conn.execute(sa.select(h).where(h.c.id == handover_id)).mappings().first()
    return dict(row) if row else None


def pending_handover(conn: Connection, interaction_id: str) -> str | None:
    """The id of the interaction's handover still waiting to be accepted, if any."""
    h = t.handovers
    return conn.execute(
        sa.select(h.c.id).where(h.c.interaction_id == interaction_id, h.c.status == "pending")
    ).scalar()


def assurance(conn: Connection, assurance_id: str) -> dict[str, Any] | None:
    a = t.assurances
    row = conn.execute(sa.select(a).where(a.c.id == assurance_id)).mappings().first()
    return dict(row) if row else None


def latest_assurance_of(
    conn: Connection, customer_id: str, interaction_id: str
) -> dict[str, Any] | None:
    """The newest verification recorded in an interaction (by Warmline's id) of a customer."""
    a = t.assurances
    row = (
        conn.execute(
            sa.select(a)
            .where(a.c.customer_id == customer_id, a.c.interaction_id == interaction_id)
            .order_by(a.c.verified_at.desc(), a.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None
