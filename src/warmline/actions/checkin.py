"""Checking in at a branch: the app's QR code, a phone number with an SMS code, or a booking.

One transaction per check-in: the proof is used (the code, the SMS code, the appointment),
the ticket is numbered (tickets of a branch are numbered one at a time: the branch's row
is locked), the visit is queued, an appointment's staff member is told on their desk, and
the read of the customer (the kiosk greets them by first name) is audited. A wrong SMS code
is the exception: its try is committed, then the check-in is refused.

A number no customer holds (or several do, or only a record with no name: one an earlier
guest visit made) checks in as a guest: the visit is recorded with the number, and at the
counter staff can link it to the customer.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warmline.actions.audit import append_chained, audit_row
from warmline.actions.checkin_codes import redeem_in
from warmline.actions.desk_push import insert_push
from warmline.actions.phone_codes import check_phone_code, read_phone_code
from warmline.domain.access.roles import Actor
from warmline.domain.branch import appointments as booking
from warmline.domain.branch import phone_code
from warmline.domain.branch.setup import Branch, Service
from warmline.domain.branch.tickets import WAITING, local_day, ticket_label
from warmline.errors import Conflict, InvalidRequest, NotFound, WarmlineError
from warmline.storage import branch_queries as bq
from warmline.storage import queries
from warmline.storage import schema as t
from warmline.storage.engine import writing

MAX_REASON_CHARS = 200


@dataclass(frozen=True, slots=True)
class ByCode:
    """The app's QR code, scanned or typed."""

    code: str


@dataclass(frozen=True, slots=True)
class ByPhone:
    """A phone number (normalised) and the SMS code sent to it."""

    phone: str
    phone_code_id: str
    code: str


@dataclass(frozen=True, slots=True)
class ByAppointment:
    """An appointment's reference."""

    ref: str


Proof = ByCode | ByPhone | ByAppointment


@dataclass(frozen=True, slots=True)
class CheckedIn:
    """A queued visit, whether the customer is known (or a guest), and whom it was pushed to."""

    visit: dict[str, Any]
    guest: bool
    verified: bool
    appointment: dict[str, Any] | None = None
    pushed_to: str | None = None


def check_in(
    engine: Engine,
    actor: Actor,
    branch: Branch,
    proof: Proof,
    *,
    key: bytes,
    service: str | None = None,
    reason: str | None = None,
    now: dt.datetime | None = None,
) -> CheckedIn:
    """Queue a visit at ``branch`` for whoever ``proof`` shows; see the module's docstring."""
    now = now or dt.datetime.now(dt.UTC)
    chosen = None if isinstance(proof, ByAppointment) else _service(branch, service)
    reason = _reason(reason)
    right, sent, holders = False, None, []
    if isinstance(proof, ByPhone):
        code = phone_code.normalise_phone_code(proof.code)
        if code is None:
            raise InvalidRequest(
                "phone_code_malformed",
                f"the code is {phone_code.DIGITS} digits",
                hint="type the digits from the text message",
            )
        with engine.connect() as conn:
            sent = read_phone_code(conn, proof.phone_code_id)
            holders = _named(conn, queries.customers_by_identifier(conn, "phone", proof.phone))
        right = phone_code.matches(code, sent["salt"], sent["code_hash"])  # slow: unlocked
    refused: WarmlineError | None = None
    with writing(engine) as conn, conn.begin():
        conn.execute(
            sa.select(t.branches.c.code).where(t.branches.c.code == branch.code).with_for_update()
        )
        visit: dict[str, Any] = {
            "id": "vis_" + secrets.token_hex(10),
            "branch": branch.code,
            "status": WAITING,
            "checked_in_by": actor.name,
            "checked_in_at": now,
            "reason": reason,
            "guest": False,
        }
        appointment = None
        if isinstance(proof, ByCode):
            code_row = redeem_in(
                conn, proof.code, branch=branch.code, key=key, now=now, visit_id=visit["id"]
            )
            visit.update(
                via="code",
                customer_id=code_row["live_id"],
                origin_id=code_row["origin_id"],
                assurance_id=code_row["assurance_id"],
                verified_by="checkin_code",
            )
        elif isinstance(proof, ByPhone):
            assert sent is not None
            refused = check_phone_code(
                conn, sent, phone=proof.phone, right=right, branch=branch.code, key=key, now=now
            )
            known = holders[0] if len(holders) == 1 else None
            visit.update(
                via="phone",
                customer_id=known,
                origin_id=_origin(conn, known, "phone", proof.phone),
                guest=known is None,
                guest_phone=None if known else proof.phone,
                verified_by="sms_code",
            )
        else:
            appointment = _arrive(conn, branch, proof.ref, now)
            chosen = branch.service(appointment["service"]) or _service(branch, None)
            visit.update(
                via="appointment",
                customer_id=queries.live_customer_id(conn, appointment["customer_id"]),
                origin_id=appointment["origin_id"],
                appointment_id=appointment["id"],
                reason=appointment["reason"][:MAX_REASON_CHARS],
            )
        if refused is None:
            assert chosen is not None
            _queue(conn, actor, branch, chosen, visit, appointment, now)
    if refused is not None:
        raise refused  # after the commit: the wrong try counts
    return CheckedIn(
        visit=visit,
        guest=visit["guest"],
        verified=visit.get("verified_by") is not None,
        appointment=appointment,
        pushed_to=appointment["staff"] if appointment else None,
    )


def _queue(
    conn: Connection,
    actor: Actor,
    branch: Branch,
    service: Service,
    visit: dict[str, Any],
    appointment: dict[str, Any] | None,
    now: dt.datetime,
) -> None:
    day = local_day(now, branch.zone)
    number = bq.next_number(conn, branch.code, day, service.code)
    visit.update(
        service=service.code,
        day=day,
        number=number,
        ticket=ticket_label(service.letter, number),
    )
    conn.execute(t.visits.insert().values(visit))
    if appointment is not None:
        a = t.appointments
        conn.execute(
            a.update()
            .where(a.c.id == appointment["id"])
            .values(status=booking.ARRIVED, arrived_at=now, visit_id=visit["id"])
        )
        if appointment["staff"]:
            insert_push(
                conn,
                agent=appointment["staff"],
                kind="arrival",
                customer_id=visit["customer_id"],
                interaction_id=None,
                channel="branch",
                detail={
                    "recognised": visit["customer_id"] is not None,
                    "visit_id": visit["id"],
                    "ticket": visit["ticket"],
                    "appointment_at": appointment["starts_at"].isoformat(),
                    "reason": appointment["reason"],
                },
                at=now,
            )
    if visit["customer_id"] is not None:
        detail = {"visit_id": visit["id"], "ticket": visit["ticket"], "via": visit["via"]}
        append_chained(conn, [audit_row(actor, "visit.checked_in", visit["customer_id"], detail)])


def _named(conn: Connection, holders: list[str]) -> list[str]:
    """The holders of a number, unless the only one is a record with no name (the one an
    earlier guest visit, or an unknown caller, made): staff still do not know who it is,
    so the customer checks in as a guest again, to be linked at the counter. The visit
    lands on that record all the same (its contact names the number), so linking it
    brings every visit the number made."""
    if len(holders) != 1:
        return holders
    found = queries.customer_summaries(conn, holders)
    return holders if found and (found[0]["name"] or found[0]["preferred_name"]) else []


def _origin(conn: Connection, customer_id: str | None, kind: str, value: str) -> str | None:
    """The record of ``customer_id`` that holds the identifier the visit came by."""
    if customer_id is None:
        return None
    i = t.identifiers
    found = conn.execute(
        sa.select(i.c.origin_id).where(
            i.c.kind == kind, i.c.value == value, i.c.customer_id == customer_id
        )
    ).scalar()
    return str(found) if found else customer_id


def _arrive(conn: Connection, branch: Branch, text: str, now: dt.datetime) -> dict[str, Any]:
    ref = booking.normalise_ref(text)
    found = None
    if ref is not None:
        a = t.appointments
        row = conn.execute(sa.select(a).where(a.c.ref == ref).with_for_update()).mappings()
        found = row.first()
    if found is None:
        raise NotFound(
            "appointment_not_found",
            "there is no appointment with that reference",
            hint="check the reference in your confirmation (8 letters and digits), or take a "
            "ticket with your phone number",
        )
    if found["branch"] != branch.code:
        raise Conflict(
            "appointment_other_branch",
            "that appointment is at another branch",
            hint="take a ticket here with your phone number, or go to the branch booked",
        )
    if found["status"] == booking.CANCELLED:
        raise Conflict(
            "appointment_cancelled",
            "that appointment was cancelled",
            hint="take a ticket with your phone number, or book again",
        )
    if found["status"] == booking.ARRIVED:
        raise Conflict(
            "appointment_checked_in",
            "you are checked in for that appointment already",
            hint="keep the ticket you were given; staff will call it",
        )
    problem = booking.day_problem(found["starts_at"], now, branch.zone)
    if problem:
        raise Conflict(
            "appointment_other_day",
            problem,
            hint="come back then, or take a ticket now with your phone number",
        )
    return dict(found)


def _service(branch: Branch, code: str | None) -> Service:
    if code is None and len(branch.services) == 1:
        return branch.services[0]
    found = branch.service(code or "")
    if found is None:
        raise InvalidRequest(
            "service_not_found",
            f"{branch.name} has no service '{(code or '')[:40]}'"
            if code
            else "choose what the visit is for",
            hint=f"its services: {', '.join(s.code for s in branch.services)}",
        )
    return found


def _reason(reason: str | None) -> str | None:
    """The visit's reason as the customer chose or typed it: text, bounded, no controls."""
    if reason is None:
        return None
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in reason).split())
    return cleaned[:MAX_REASON_CHARS] or None
