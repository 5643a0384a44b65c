"""Appointments: booked from any channel, carried to the kiosk, recorded when missed.

Booking stores the appointment (with a reference for the kiosk) and records an activity
``branch.appointment_booked`` on the customer, so the card says what they booked and why
before they arrive. An appointment nobody came to by its time plus the grace period is a
no-show: recorded on it and as an activity ``branch.appointment_missed``. Missed
appointments are found whenever the branch's queue is read (a kiosk, a screen, a desk),
so nothing needs to run on a timer.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from warmline.actions.audit import append_chained, audit_row
from warmline.actions.calls import BRANCH_SOURCE
from warmline.actions.continuations import live_customer
from warmline.actions.ingest import ingest_events
from warmline.domain.access.roles import Actor
from warmline.domain.branch import appointments as booking
from warmline.domain.branch.setup import Branch
from warmline.domain.ids import stable_id
from warmline.errors import Conflict, InvalidRequest
from warmline.storage import branch_queries as bq
from warmline.storage import schema as t
from warmline.storage.engine import writing

FURTHEST = dt.timedelta(days=366)
MAX_REASON_CHARS = 500


def book_appointment(
    engine: Engine,
    actor: Actor,
    customer_id: str,
    branch: Branch,
    *,
    service: str,
    starts_at: dt.datetime,
    reason: str,
    staff: str | None = None,
    channel: str | None = None,
    region: str = "GB",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Book ``customer_id`` at ``branch`` for ``service`` at ``starts_at``; return it."""
    now = now or dt.datetime.now(dt.UTC)
    chosen = branch.service(service)
    problems = []
    if chosen is None:
        problems.append(
            f"service: {branch.name} has no service '{service[:40]}' "
            f"(it has {', '.join(s.code for s in branch.services)})"
        )
    if staff is not None and staff not in branch.staff:
        problems.append(f"staff: '{staff[:60]}' is not on the staff of {branch.name}")
    if starts_at <= now:
        problems.append("starts_at: an appointment is booked for a time still to come")
    elif starts_at - now > FURTHEST:
        problems.append("starts_at: appointments are booked at most a year ahead")
    reason = " ".join("".join(c if c.isprintable() else " " for c in reason).split())
    if not reason:
        problems.append("reason: say what the visit is about, so staff can prepare")
    if problems:
        raise InvalidRequest(
            "invalid_appointment",
            "; ".join(problems),
            hint="see POST /v1/appointments in /docs",
        )
    row: dict[str, Any] = {
        "id": "apt_" + secrets.token_hex(10),
        "branch": branch.code,
        "service": service,
        "starts_at": starts_at,
        "reason": reason[:MAX_REASON_CHARS],
        "staff": staff,
        "channel": channel,
        "status": booking.BOOKED,
        "booked_by": actor.name,
        "booked_at": now,
    }
    for _attempt in range(5):
        row["ref"] = booking.new_ref()
        try:
            with writing(engine) as conn, conn.begin():
                live = live_customer(conn, customer_id)
                origin = bq.naming_identifier(conn, live)
                row.update(customer_id=live, origin_id=live)
                conn.execute(t.appointments.insert().values(row))
                detail = {"appointment_id": row["id"], "branch": branch.code, "ref": row["ref"]}
                append_chained(conn, [audit_row(actor, "appointment.booked", live, detail)])
            break
        except IntegrityError:  # a reference taken: one in 10**12, try another
            continue
    else:  # pragma: no cover - five collisions in a row
        raise Conflict("appointment_ref_taken", "no free reference", hint="book again")
    _activity(engine, origin, "branch.appointment_booked", row, branch, now, region)
    return row


def sweep_no_shows(
    engine: Engine,
    branch: Branch,
    *,
    grace: dt.timedelta,
    region: str = "GB",
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Record the branch's appointments that nobody came to as no-shows; return them."""
    now = now or dt.datetime.now(dt.UTC)
    with engine.connect() as conn:
        overdue = bq.overdue_appointments(conn, branch.code, now - grace)
    if not overdue:
        return []
    a = t.appointments
    missed = []
    with writing(engine) as conn, conn.begin():
        for row in overdue:
            moved = conn.execute(
                a.update()
                .where(a.c.id == row["id"], a.c.status == booking.BOOKED)
                .values(status=booking.NO_SHOW)
            )
            if moved.rowcount == 1:
                missed.append(row)
    for row in missed:
        with engine.connect() as conn:
            origin = bq.naming_identifier(conn, row["customer_id"])
        _activity(engine, origin, "branch.appointment_missed", row, branch, now, region)
    return missed


def _activity(
    engine: Engine,
    naming: tuple[str, str] | None,
    name: str,
    appointment: dict[str, Any],
    branch: Branch,
    now: dt.datetime,
    region: str,
) -> None:
    """The appointment on the customer's card and timeline (when an identifier names them)."""
    if naming is None:
        return
    local = appointment["starts_at"].astimezone(branch.zone)
    service = branch.service(appointment["service"])
    envelope = {
        "specversion": "1.0",
        "id": stable_id("apt", appointment["id"], name),
        "source": BRANCH_SOURCE,
        "type": "activity",
        "time": now.isoformat(),
        "data": {
            "customer": {"identifiers": [{"kind": naming[0], "value": naming[1]}]},
            "name": name,
            "summary": appointment["reason"][:500],
            "attributes": {
                "branch": branch.name,
                "service": service.name if service else appointment["service"],
                "at": f"{local:%a %d %b %H:%M}",
            },
        },
    }
    ingest_events(engine, [envelope], region=region, now=now)
