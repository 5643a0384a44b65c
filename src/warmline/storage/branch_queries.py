"""Reads for branches: their setup, the queue, who sits where, visits and appointments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.domain.branch.setup import Branch, branch_from_json
from warmline.domain.branch.tickets import CALLED, WAITING, visit_item
from warmline.domain.branch.waits import Served
from warmline.domain.identity.resolution import SHAREABLE_KINDS
from warmline.storage import schema as t
from warmline.storage.compiled_select import FastSelect

#: How far back service times are read for the estimates.
HISTORY = dt.timedelta(days=28)
HISTORY_ROWS = 5000


# Read on every check-in, call and look at a queue: compiled once, run on the cursor.
_SETUP = FastSelect(sa.select(t.branches.c.setup).where(t.branches.c.code == sa.bindparam("code")))
_WAITING = FastSelect(
    sa.select(t.visits, t.appointments.c.starts_at.label("appointment_at"))
    .outerjoin(t.appointments, t.appointments.c.id == t.visits.c.appointment_id)
    .where(t.visits.c.branch == sa.bindparam("branch"), t.visits.c.status == WAITING)
    .order_by(t.visits.c.checked_in_at, t.visits.c.id)
    .limit(sa.bindparam("limit"))
)
_HIGHEST = FastSelect(
    sa.select(sa.func.max(t.visits.c.number).label("highest")).where(
        t.visits.c.branch == sa.bindparam("branch"),
        t.visits.c.day == sa.bindparam("day"),
        t.visits.c.service == sa.bindparam("service"),
    )
)
_SITTING = FastSelect(
    sa.select(t.sittings)
    .where(t.sittings.c.staff == sa.bindparam("staff"), t.sittings.c.ended_at.is_(None))
    .order_by(t.sittings.c.started_at.desc())
    .limit(1)
)
_STAFFED = FastSelect(
    sa.select(t.sittings.c.service_point, t.sittings.c.staff).where(
        t.sittings.c.branch == sa.bindparam("branch"), t.sittings.c.ended_at.is_(None)
    )
)


def branch(conn: Connection, code: str) -> Branch | None:
    rows = _SETUP.rows(conn, code=code)
    return branch_from_json(rows[0][0]) if rows else None


def all_branches(conn: Connection) -> list[Branch]:
    rows = conn.execute(sa.select(t.branches.c.setup).order_by(t.branches.c.code))
    return [branch_from_json(r.setup) for r in rows]


def branches_of_staff(conn: Connection, staff: str) -> list[Branch]:
    """The branches whose setup lists ``staff`` (a desk key's name)."""
    return [b for b in all_branches(conn) if staff in b.staff]


def waiting(conn: Connection, branch_code: str, *, limit: int = 500) -> list[dict[str, Any]]:
    """The branch's waiting tickets, in the order they checked in."""
    return _WAITING.all(conn, branch=branch_code, limit=limit)


def visit(conn: Connection, visit_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(t.visits).where(t.visits.c.id == visit_id)).mappings().first()
    return dict(row) if row else None


def visit_by_ticket(
    conn: Connection, branch_code: str, day: dt.date, ticket: str
) -> dict[str, Any] | None:
    rows = _BY_TICKET.all(conn, branch=branch_code, day=day, ticket=ticket)
    return rows[0] if rows else None


#: Read on every call of a named ticket: compiled once, run on the cursor.
_BY_TICKET = FastSelect(
    sa.select(t.visits)
    .where(
        t.visits.c.branch == sa.bindparam("branch"),
        t.visits.c.day == sa.bindparam("day"),
        t.visits.c.ticket == sa.bindparam("ticket"),
    )
    .limit(1)
)


#: Read for every card with a branch contact on it: compiled once, run on the cursor.
_VISITS = FastSelect(
    sa.select(t.visits, t.branches.c.setup)
    .outerjoin(t.branches, t.branches.c.code == t.visits.c.branch)
    .where(t.visits.c.interaction_id.in_(sa.bindparam("ids", expanding=True)))
)


def visits_by_interaction(
    conn: Connection, interaction_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The visits behind branch interactions, by interaction id, with the names of their
    branch and service point (for the card and the timeline)."""
    if not interaction_ids:
        return {}
    rows = _VISITS.all(conn, ids=list(interaction_ids))
    found = {}
    for row in rows:
        setup = branch_from_json(row["setup"]) if row["setup"] else None
        point = setup.point(row["service_point"] or "") if setup else None
        item = {k: row[k] for k in row if k != "setup"}
        item["branch_name"] = setup.name if setup else row["branch"]
        item["point_name"] = point.name if point else row["service_point"]
        found[row["interaction_id"]] = item
    return found


def attach_visits(conn: Connection, card: dict[str, Any], now: dt.datetime) -> None:
    """Put each branch visit beside its interaction on a card (the contact now, continuity,
    recent contacts): ticket, reason, wait, who served. One read, only when there is one."""
    items = [
        item
        for item in [
            card.get("now"),
            *card.get("continuity", []),
            *card.get("recent_interactions", []),
        ]
        if item and item.get("channel") == "branch"
    ]
    if not items:
        return
    visits = visits_by_interaction(conn, [item["interaction_id"] for item in items])
    for item in items:
        if item["interaction_id"] in visits:
            item["visit"] = visit_item(visits[item["interaction_id"]], now)


def next_number(conn: Connection, branch_code: str, day: dt.date, service: str) -> int:
    highest = _HIGHEST.rows(conn, branch=branch_code, day=day, service=service)[0][0]
    return int(highest or 0) + 1


def served(conn: Connection, branch_code: str, now: dt.datetime) -> list[Served]:
    """The branch's finished visits of the last ``HISTORY``, newest first: service times."""
    v = t.visits
    rows = conn.execute(
        sa.select(v.c.service_point, v.c.called_at, v.c.ended_at)
        .where(
            v.c.branch == branch_code,
            v.c.status == "done",
            v.c.checked_in_at > now - HISTORY,
        )
        .order_by(v.c.checked_in_at.desc())
        .limit(HISTORY_ROWS)
    )
    return [
        Served(r.service_point, r.called_at, r.ended_at)
        for r in rows
        if r.service_point and r.called_at and r.ended_at
    ]


def staffed_points(conn: Connection, branch_code: str) -> dict[str, str]:
    """Who sits at which of the branch's service points now: point code -> staff."""
    return dict(_STAFFED.rows(conn, branch=branch_code))


def sitting_of(conn: Connection, staff: str) -> dict[str, Any] | None:
    """Where ``staff`` sits now, if anywhere."""
    rows = _SITTING.all(conn, staff=staff)
    return rows[0] if rows else None


def recent_calls(
    conn: Connection, branch_code: str, day: dt.date, limit: int = 8
) -> list[dict[str, Any]]:
    """Tickets called today, the latest first: what the waiting-room screen shows."""
    v = t.visits
    rows = conn.execute(
        sa.select(v.c.id, v.c.ticket, v.c.service_point, v.c.called_at, v.c.status)
        .where(v.c.branch == branch_code, v.c.day == day, v.c.called_at.is_not(None))
        .order_by(v.c.called_at.desc(), v.c.id.desc())
        .limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


def served_today(conn: Connection, branch_code: str, day: dt.date) -> dict[str, int]:
    """How many tickets of the day are served, at a counter, gone without coming."""
    v = t.visits
    rows = conn.execute(
        sa.select(v.c.status, sa.func.count())
        .where(v.c.branch == branch_code, v.c.day == day)
        .group_by(v.c.status)
    )
    return {str(status): int(count) for status, count in rows}


def appointment_by_ref(conn: Connection, ref: str) -> dict[str, Any] | None:
    a = t.appointments
    row = conn.execute(sa.select(a).where(a.c.ref == ref)).mappings().first()
    return dict(row) if row else None


def appointment(conn: Connection, appointment_id: str) -> dict[str, Any] | None:
    a = t.appointments
    row = conn.execute(sa.select(a).where(a.c.id == appointment_id)).mappings().first()
    return dict(row) if row else None


def overdue_appointments(
    conn: Connection, branch_code: str, before: dt.datetime
) -> list[dict[str, Any]]:
    """Booked appointments of the branch that started before ``before`` and nobody came to."""
    a = t.appointments
    rows = conn.execute(
        sa.select(a).where(
            a.c.branch == branch_code, a.c.status == "booked", a.c.starts_at < before
        )
    ).mappings()
    return [dict(r) for r in rows]


def naming_identifier(conn: Connection, customer_id: str) -> tuple[str, str] | None:
    """An identifier that names the live customer ``customer_id`` and nobody else: held by
    one record of theirs alone, personal kinds and verified ones first. A contact started
    with it (a visit checked in by app code or booking) lands on them as any event would."""
    i = t.identifiers
    own = conn.execute(
        sa.select(i.c.kind, i.c.value, i.c.verified).where(i.c.customer_id == customer_id)
    ).all()
    if not own:
        return None
    held = conn.execute(
        sa.select(i.c.kind, i.c.value, sa.func.count())
        # Equalities OR-ed, not a row-value IN: SQLite scans the whole index for that.
        .where(sa.or_(*(sa.and_(i.c.kind == r.kind, i.c.value == r.value) for r in own)))
        .group_by(i.c.kind, i.c.value)
    ).all()
    alone = {(kind, value) for kind, value, records in held if records == 1}
    rows = [r for r in own if (r.kind, r.value) in alone]
    if not rows:
        return None
    best = min(rows, key=lambda r: (r.kind in SHAREABLE_KINDS, not r.verified, r.kind, r.value))
    return str(best.kind), str(best.value)


def waiting_count(conn: Connection, branch_code: str) -> int:
    v = t.visits
    return int(
        conn.execute(
            sa.select(sa.func.count()).where(v.c.branch == branch_code, v.c.status == WAITING)
        ).scalar_one()
    )


def at_counter(conn: Connection, staff: str) -> list[dict[str, Any]]:
    """Tickets ``staff`` has called and not finished."""
    v = t.visits
    rows = conn.execute(
        sa.select(v).where(v.c.called_by == staff, v.c.status == CALLED).order_by(v.c.called_at)
    ).mappings()
    return [dict(r) for r in rows]
