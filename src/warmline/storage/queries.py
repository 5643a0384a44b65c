"""Read queries on the memory. Each takes a connection and returns plain dicts."""

from __future__ import annotations

import datetime as dt
import heapq
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.domain.branch.tickets import visit_item
from warmline.storage import schema as t
from warmline.storage.branch_queries import visits_by_interaction
from warmline.storage.compiled_select import FastSelect
from warmline.storage.cursors import decode_cursor, encode_cursor

MAX_MERGE_HOPS = 16
#: Read on every access to a customer: compiled once, run on the cursor.
_STATUS = FastSelect(
    sa.select(t.customers.c.status, t.customers.c.merged_into).where(
        t.customers.c.id == sa.bindparam("cid")
    )
)


def live_customer_id(conn: Connection, customer_id: str) -> str | None:
    """The customer ``customer_id`` is now (following merges), or None if there is none."""
    for _ in range(MAX_MERGE_HOPS):
        rows = _STATUS.rows(conn, cid=customer_id)
        if not rows or rows[0][0] == "erased":
            return None
        status, merged_into = rows[0]
        if is_live(status, merged_into):
            return customer_id
        customer_id = merged_into
    return None


def is_live(status: str, merged_into: str | None) -> bool:
    """Whether a customer row with ``status`` and ``merged_into`` is the live customer
    itself: not erased, not merged into another."""
    return status != "erased" and (status != "merged" or merged_into is None)


def is_erased(conn: Connection, customer_id: str) -> bool:
    rows = _STATUS.rows(conn, cid=customer_id)
    return bool(rows) and rows[0][0] == "erased"


def export_rows(conn: Connection, customer_id: str, records: list[str]) -> dict[str, Any]:
    """Everything held about a customer, table by table, raw events, merges and audit
    entries included. ``records`` are the customer's records (itself and those merged in)."""
    out: dict[str, Any] = {}
    for table in (t.customers,):
        out[table.name] = [
            dict(r)
            for r in conn.execute(sa.select(table).where(table.c.id.in_(records))).mappings()
        ]
    for table in (
        t.identifiers,
        t.facts,
        t.interactions,
        t.messages,
        t.cases,
        t.commitments,
        t.activities,
        t.assurances,
        t.feedback,
        t.handovers,
        t.continuations,
        t.continuation_attempts,
        t.visits,
        t.appointments,
        t.checkin_codes,
    ):
        query = sa.select(table).where(table.c.customer_id == customer_id)
        out[table.name] = [dict(r) for r in conn.execute(query).mappings()]
    raw = t.raw_events
    out["raw_events"] = [
        {**dict(r), "envelope": orjson.loads(r["envelope"])}
        for r in conn.execute(
            sa.select(raw).where(raw.c.customer_id.in_(records)).order_by(raw.c.seq)
        ).mappings()
    ]
    m, s = t.merges, t.merge_suggestions
    out["merges"] = [
        dict(r)
        for r in conn.execute(
            sa.select(m).where(sa.or_(m.c.from_id.in_(records), m.c.into_id.in_(records)))
        ).mappings()
    ]
    out["merge_suggestions"] = [
        dict(r)
        for r in conn.execute(
            sa.select(s).where(sa.or_(s.c.customer_id.in_(records), s.c.candidate_id.in_(records)))
        ).mappings()
    ]
    audit = t.audit_log
    out["audit_log"] = [
        dict(r)
        for r in conn.execute(
            sa.select(audit.c.at, audit.c.actor, audit.c.role, audit.c.action, audit.c.detail)
            .where(audit.c.customer_id.in_(records))
            .order_by(audit.c.id)
        ).mappings()
    ]
    return out


_BY_IDENTIFIER = FastSelect(
    sa.select(t.identifiers.c.customer_id)
    .where(
        t.identifiers.c.kind == sa.bindparam("kind"),
        t.identifiers.c.value == sa.bindparam("value"),
    )
    .order_by(t.identifiers.c.verified.desc(), t.identifiers.c.first_seen_at)
)


def customers_by_identifier(conn: Connection, kind: str, value: str) -> list[str]:
    """Ids of the customers holding identifier ``(kind, value)``, verified owners first.

    Run on the raw cursor: it starts every contact and every card lookup."""
    rows = _BY_IDENTIFIER.all(conn, kind=kind, value=value)
    return list(dict.fromkeys(r["customer_id"] for r in rows))


def customer_summaries(conn: Connection, ids: list[str]) -> list[dict[str, Any]]:
    """Name, tenure and status of each customer in ``ids``, in that order."""
    if not ids:
        return []
    by_id = {r["id"]: r for r in _SUMMARIES.all(conn, ids=list(ids))}
    return [by_id[i] for i in ids if i in by_id]


#: Read on every desk push and check-in: compiled once, run on the cursor.
_SUMMARIES = FastSelect(
    sa.select(
        t.customers.c.id,
        t.customers.c.name,
        t.customers.c.preferred_name,
        t.customers.c.customer_since,
        t.customers.c.status,
    ).where(t.customers.c.id.in_(sa.bindparam("ids", expanding=True)))
)


def customer_profile(conn: Connection, customer_id: str) -> dict[str, Any] | None:
    row = (
        conn.execute(sa.select(t.customers).where(t.customers.c.id == customer_id))
        .mappings()
        .first()
    )
    if row is None:
        return None
    idents = conn.execute(
        sa.select(
            t.identifiers.c.kind,
            t.identifiers.c.value,
            t.identifiers.c.verified,
            t.identifiers.c.quality,
            t.identifiers.c.source,
            t.identifiers.c.first_seen_at,
            t.identifiers.c.confirmed_at,
        )
        .where(t.identifiers.c.customer_id == customer_id)
        .order_by(t.identifiers.c.kind, t.identifiers.c.first_seen_at)
    ).mappings()
    profile = dict(row)
    profile["identifiers"] = [dict(i) for i in idents]
    return profile


# -- timeline ---------------------------------------------------------------------------

_TIMELINE: dict[str, tuple[sa.Table, str, tuple[str, ...]]] = {
    "interaction": (
        t.interactions,
        "started_at",
        (
            "external_id",
            "channel",
            "status",
            "ended_at",
            "agent_id",
            "queue",
            "subject",
            "outcome",
            "reason",
            "summary",
            "case_id",
            "transfers",
            "message_count",
            "summary_by",
        ),
    ),
    "activity": (t.activities, "occurred_at", ("name", "summary", "attributes", "source")),
    "case": (
        t.cases,
        "opened_at",
        (
            "external_id",
            "title",
            "status",
            "priority",
            "updated_at",
            "resolved_at",
            "latest_note",
            "resolution",
            "effort",
        ),
    ),
    "commitment": (
        t.commitments,
        "made_at",
        ("external_id", "text", "due_at", "made_by", "status", "fulfilled_at", "case_id"),
    ),
    "feedback": (t.feedback, "submitted_at", ("kind", "score", "comment", "interaction_id")),
}
#: Columns shown under another name, where theirs is taken: every item's ``kind`` says
#: what the item is, so feedback's own kind (csat, nps, ces) is ``feedback_kind``.
_RENAMED = {("feedback", "kind"): "feedback_kind"}


def timeline_page(
    conn: Connection, customer_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Everything that happened to a customer, newest first: one page and the next cursor.

    Each kind is read with its own index on (customer_id, time, id) and the pages are
    merged, so a page costs the same for a customer with ten or ten thousand interactions.
    """
    after = decode_cursor(cursor, dt.datetime, str) if cursor else None
    streams = []
    for kind, (table, at_col, columns) in _TIMELINE.items():
        at, ident = table.c[at_col], table.c.id
        shown = (table.c[c].label(_RENAMED.get((kind, c), c)) for c in columns)
        query = (
            sa.select(ident, at.label("at"), *shown)
            .where(table.c.customer_id == customer_id)
            .order_by(at.desc(), ident.desc())
            .limit(limit + 1)
        )
        if after is not None:
            query = query.where(sa.or_(at < after[0], sa.and_(at == after[0], ident < after[1])))
        rows = [{"kind": kind, **r} for r in conn.execute(query).mappings()]
        streams.append(rows)
    merged = heapq.merge(*streams, key=lambda r: (r["at"], r["id"]), reverse=True)
    items = [item for _, item in zip(range(limit + 1), merged, strict=False)]
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        next_cursor = encode_cursor(items[-1]["at"], items[-1]["id"])
    _with_visits(conn, items)
    return items, next_cursor


def _with_visits(conn: Connection, items: list[dict[str, Any]]) -> None:
    """A branch visit's interaction carries its visit: ticket, wait, who served, how long."""
    branch = [i["id"] for i in items if i["kind"] == "interaction" and i["channel"] == "branch"]
    visits = visits_by_interaction(conn, branch) if branch else {}
    now = dt.datetime.now(dt.UTC)
    for item in items:
        if item["id"] in visits:
            item["visit"] = visit_item(visits[item["id"]], now)


#: Read on every call and every card opened for a contact: compiled once, run on the cursor.
_INTERACTION = FastSelect(
    sa.select(t.interactions)
    .where(
        sa.or_(
            t.interactions.c.id == sa.bindparam("iid"),
            t.interactions.c.external_id == sa.bindparam("iid"),
        )
    )
    .limit(1)
)


def interaction_row(conn: Connection, interaction_id: str) -> dict[str, Any] | None:
    """An interaction by Warmline's id or the source's own id."""
    rows = _INTERACTION.all(conn, iid=interaction_id)
    return rows[0] if rows else None


def interaction_with_messages(
    conn: Connection, interaction_id: str, *, limit: int = 500
) -> dict[str, Any] | None:
    """An interaction (by internal or external id) and its messages, oldest first."""
    row = interaction_row(conn, interaction_id)
    if row is None:
        return None
    return {**dict(row), "messages": messages_after(conn, row["id"], None, limit=limit)}


def messages_after(
    conn: Connection,
    interaction_id: str,
    after: tuple[dt.datetime, str] | None,
    *,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """An interaction's messages, oldest first, after ``(sent_at, id)`` when given."""
    m = t.messages
    query = (
        sa.select(
            m.c.id,
            m.c.speaker,
            m.c.text,
            m.c.agent_id,
            m.c.sent_at,
            m.c.insight,
            m.c.private,
            m.c.attachments,
        )
        .where(m.c.interaction_id == interaction_id)
        .order_by(m.c.sent_at, m.c.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(
            sa.or_(m.c.sent_at > after[0], sa.and_(m.c.sent_at == after[0], m.c.id > after[1]))
        )
    return [dict(r) for r in conn.execute(query).mappings()]


# -- the agent desk ---------------------------------------------------------------------


def pushes_after(conn: Connection, agent: str, after: int, limit: int = 50) -> list[dict[str, Any]]:
    """Contacts pushed to ``agent``'s desk after push ``after``, oldest first."""
    p = t.desk_pushes
    rows = conn.execute(
        sa.select(p).where(p.c.agent == agent, p.c.id > after).order_by(p.c.id).limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


def latest_push_id(conn: Connection, agent: str) -> int:
    value = conn.execute(
        sa.select(sa.func.max(t.desk_pushes.c.id)).where(t.desk_pushes.c.agent == agent)
    ).scalar()
    return int(value or 0)


# -- the audit log ---------------------------------------------------------------------


def audit_page(
    conn: Connection,
    *,
    customer_id: str | None,
    actor: str | None,
    action: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    before_id: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Audit entries matching every filter given, newest first."""
    a = t.audit_log
    query = sa.select(a).order_by(a.c.id.desc()).limit(limit)
    for column, value in ((a.c.customer_id, customer_id), (a.c.actor, actor), (a.c.action, action)):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(a.c.at >= since)
    if until is not None:
        query = query.where(a.c.at < until)
    if before_id is not None:
        query = query.where(a.c.id < before_id)
    return [dict(r) for r in conn.execute(query).mappings()]


def outbox_waiting(conn: Connection) -> int:
    """Webhook deliveries waiting (pending, retrying; not dead-lettered), and outbox events
    not yet fanned out to their subscriptions."""
    o, d = t.outbox, t.webhook_deliveries
    events = conn.execute(sa.select(sa.func.count()).where(o.c.status == "pending")).scalar()
    waiting = conn.execute(sa.select(sa.func.count()).where(d.c.status == "pending")).scalar()
    return int(events or 0) + int(waiting or 0)
