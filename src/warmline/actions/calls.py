"""Calling tickets from a service point: "call next" or a named ticket, and what a call starts.

Two staff may call at the same moment. A call is one conditional UPDATE (``status =
'waiting'`` in its WHERE), so exactly one of them moves the ticket; the other is told who
has it (``ticket_already_called``), or, calling next, simply gets the next ticket.

A call starts the visit as a contact like any other (:func:`start_contact`, channel
``branch``): the customer is resolved by ingest, a visit soon after an app or chat contact
joins its case, and the card pops on the caller's desk over the same live stream as a
call. The contact began when the customer arrived; who serves is the caller. The
verification the customer brought (the app's, by check-in code, or an SMS code) is
recorded on it, so the counter need not ask for ID again.

The claim and the start are one transaction: a start that fails (a lost race, the
database gone) leaves the ticket waiting, to be called again, never called with no
contact. Only a customer who cannot be served as a contact (erased since they checked in,
or with no identifier of their own) leaves the ticket called at that counter, to finish.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Engine

from warmline.actions.branch_setup import check_staff, point_or_404
from warmline.actions.contacts import (
    Contact,
    contact_start,
    in_start_transactions,
    record_push,
    start_within,
)
from warmline.actions.continuations import carried_verification
from warmline.domain.access.roles import Actor
from warmline.domain.branch import checkin_code, phone_code
from warmline.domain.branch.setup import Branch, ServicePoint
from warmline.domain.branch.tickets import CALLED, WAITING, call_order, local_day, normalise_ticket
from warmline.domain.identity.identifiers import Identifier
from warmline.domain.ids import stable_id
from warmline.errors import Conflict, Gone, InvalidRequest, NotFound, WarmlineError
from warmline.storage import branch_queries as bq
from warmline.storage import handover_queries as hq
from warmline.storage import queries
from warmline.storage import schema as t
from warmline.storage.live import announce, screen_topic

#: Events Warmline records about branch visits (an SMS verification, a visit's end).
BRANCH_SOURCE = "warmline.branch"
#: How long a verification brought to the branch holds once the customer is called.
AT_THE_COUNTER = dt.timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Called:
    """The ticket called, the contact it started, and whether it was called again."""

    visit: dict[str, Any]
    contact: Contact
    recalled: bool = False


class _Unservable(Exception):
    """The customer a called ticket is for cannot be served as a contact (nothing of the
    start is written yet: the call itself stands)."""

    def __init__(self, error: WarmlineError) -> None:
        super().__init__(str(error))
        self.error = error


def contact_id_of(visit_id: str) -> str:
    """The contact (interaction) id of a visit: one per visit, so a repeated call finds it."""
    return f"wl-visit-{visit_id}"


def call(
    engine: Engine,
    actor: Actor,
    branch: Branch,
    point_code: str,
    *,
    ticket: str | None = None,
    region: str = "GB",
    continuity: dt.timedelta = dt.timedelta(minutes=30),
    now: dt.datetime | None = None,
) -> Called:
    """Call the next ticket for ``point_code``'s services, or ``ticket`` by name, and pop the
    customer's card on ``actor``'s desk. Calling again a ticket one called oneself pops its
    card again (the customer did not hear it)."""
    now = now or dt.datetime.now(dt.UTC)
    check_staff(actor, branch)
    point = point_or_404(branch, point_code)

    def calling(conn: Connection, trust_known: bool) -> Called | WarmlineError:
        if ticket is None:
            visit, recalled = _take_next(conn, actor, branch, point, now), False
        else:
            visit, recalled = _take_named(conn, actor, branch, point, ticket, now)
        announce(conn, screen_topic(branch.code))
        try:
            contact = _start_visit(
                conn, actor, point, visit, region, continuity, now, trust_known=trust_known
            )
        except _Unservable as exc:
            # Who the ticket is for cannot be served as a contact (erased since, or every
            # identifier shared): the ticket stays called, at this counter, to finish.
            return exc.error
        return Called(
            visit={**visit, "interaction_id": contact.interaction_id},
            contact=contact,
            recalled=recalled,
        )

    called = in_start_transactions(engine, calling)
    if isinstance(called, WarmlineError):
        raise called
    return called


def _take_next(
    conn: Connection, actor: Actor, branch: Branch, point: ServicePoint, now: dt.datetime
) -> dict[str, Any]:
    waiting = [w for w in bq.waiting(conn, branch.code) if w["service"] in point.services]
    for candidate in call_order(waiting, now):
        if _claim(conn, candidate["id"], actor, point, now):
            return {
                **candidate,
                "status": CALLED,
                "called_at": now,
                "called_by": actor.name,
                "service_point": point.code,
            }
    names = ", ".join(s.name for s in branch.services if s.code in point.services)
    raise Conflict(
        "queue_empty",
        f"nobody is waiting for {names}",
        hint="the desk shows new tickets as customers check in",
    )


def _take_named(
    conn: Connection,
    actor: Actor,
    branch: Branch,
    point: ServicePoint,
    text: str,
    now: dt.datetime,
) -> tuple[dict[str, Any], bool]:
    ticket = normalise_ticket(text)
    if ticket is None:
        raise InvalidRequest(
            "ticket_malformed",
            "a ticket is a letter and a number, like A012",
            hint="type the ticket as the customer shows it",
        )
    found = bq.visit_by_ticket(conn, branch.code, local_day(now, branch.zone), ticket)
    if found is None:
        raise NotFound(
            "ticket_not_found",
            f"no ticket {ticket} at {branch.name} today",
            hint="check the letter and number on the customer's ticket",
        )
    if found["status"] == CALLED and found["called_by"] == actor.name:
        return found, True
    if found["status"] == WAITING and found["service"] not in point.services:
        service = branch.service(found["service"])
        raise Conflict(
            "ticket_other_service",
            f"{ticket} is for {service.name if service else found['service']}, "
            f"which {point.name} does not serve",
            hint="a service point that serves it calls it, or sit at one that does",
        )
    if found["status"] == WAITING and _claim(conn, found["id"], actor, point, now):
        return {
            **found,
            "status": CALLED,
            "called_at": now,
            "called_by": actor.name,
            "service_point": point.code,
        }, False
    latest = bq.visit(conn, found["id"]) or found
    if latest["status"] == CALLED:
        where = branch.point(latest["service_point"] or "")
        raise Conflict(
            "ticket_already_called",
            f"{ticket} was called by {latest['called_by']}"
            + (f" at {where.name}" if where else "")
            + f" at {latest['called_at']:%H:%M} UTC",
            hint="call the next ticket instead",
            extra={"called_by": latest["called_by"], "service_point": latest["service_point"]},
        )
    raise Conflict(
        "ticket_closed",
        f"{ticket} is no longer waiting ({latest['status'].replace('_', ' ')})",
        hint="call the next ticket instead",
    )


def _claim(
    conn: Connection, visit_id: str, actor: Actor, point: ServicePoint, now: dt.datetime
) -> bool:
    """The one write that decides who calls a ticket: it moves only a waiting ticket."""
    v = t.visits
    moved = conn.execute(
        v.update()
        .where(v.c.id == visit_id, v.c.status == WAITING)
        .values(status=CALLED, called_at=now, called_by=actor.name, service_point=point.code)
    )
    return moved.rowcount == 1


def _start_visit(
    conn: Connection,
    actor: Actor,
    point: ServicePoint,
    visit: dict[str, Any],
    region: str,
    continuity: dt.timedelta,
    now: dt.datetime,
    *,
    trust_known: bool,
) -> Contact:
    """The visit's contact, in the call's transaction: started on the first call (the
    start, the case it joins, the verification brought, the visit's link to it and the
    desk's push), pushed again on a repeated one."""
    detail = {"visit_id": visit["id"], "ticket": visit["ticket"], "service_point": point.name}
    contact_id = contact_id_of(visit["id"])
    # A call that stopped half-way before calls were one transaction left the contact
    # started; a repeated call finds it too.
    started = queries.interaction_row(conn, contact_id)
    if started is not None:
        live = queries.live_customer_id(conn, started["customer_id"])
        if not visit.get("interaction_id"):
            _link_visit(conn, visit, started["id"], live, started["origin_id"])
        contact = Contact(
            contact_id=contact_id,
            interaction_id=started["id"],
            customer_id=live or started["customer_id"],
            channel="branch",
            recognised=not visit["guest"],
            candidates=(),
            pushed_to=actor.name,
            started_at=now,
            push_detail=detail,
        )
        record_push(conn, contact)
        return contact
    try:
        known, identifiers = _identifiers(conn, visit)
    except (Gone, Conflict) as exc:
        raise _Unservable(exc) from exc

    def link(conn: Connection, contact: Contact) -> None:
        if visit["guest"]:
            # The guest's visit now has a record of its own (holding the number) to link
            # later.
            _link_visit(conn, visit, contact.interaction_id, contact.customer_id)
        else:
            _link_visit(conn, visit, contact.interaction_id)

    start = contact_start(
        channel="branch",
        identifiers=identifiers,
        agent_id=actor.name,
        contact_id=contact_id,
        region=region,
        now=now,
        # The visit began when they arrived: a contact on another channel that long before
        # their arrival, plus the wait, is still the one they came about.
        continuity=continuity + (now - visit["checked_in_at"]),
        subject=visit["reason"],
        started_at=visit["checked_in_at"],
        push_detail={**detail, "guest": visit["guest"]},
        # In the start's own batch: the card pops with the verification on it, and the
        # case the customer opened in the app this morning.
        with_events=_verification(conn, visit, contact_id, now),
        guest=visit["guest"],
    )
    return start_within(conn, start, known if trust_known else None, link)


def _link_visit(
    conn: Connection,
    visit: dict[str, Any],
    interaction_id: str,
    customer_id: str | None = None,
    origin_id: str | None = None,
) -> None:
    """The visit's link to its contact (and, for a guest, to the record the contact made)."""
    values: dict[str, Any] = {"interaction_id": interaction_id}
    if customer_id is not None:
        values.update(customer_id=customer_id, origin_id=origin_id or customer_id, guest_phone=None)
    conn.execute(t.visits.update().where(t.visits.c.id == visit["id"]).values(**values))


def _identifiers(conn: Connection, visit: dict[str, Any]) -> tuple[str | None, list[Identifier]]:
    """Who the visit is for, when known (not a guest), and how its contact names them: the
    guest's number, or an identifier that names the customer checked in and nobody else."""
    if visit["guest"]:
        return None, [Identifier("phone", visit["guest_phone"])]
    live = queries.live_customer_id(conn, visit["customer_id"])
    if live is None:
        raise Gone("customer_erased", "this customer's data was erased at their request")
    naming = bq.naming_identifier(conn, live)
    if naming is None:
        raise Conflict(
            "customer_not_nameable",
            "every identifier of this customer is shared with someone else",
            hint="serve them as a guest and link the visit, or record an identifier of their own",
        )
    return live, [Identifier(*naming)]


def _verification(
    conn: Connection, visit: dict[str, Any], contact_id: str, now: dt.datetime
) -> list[dict[str, Any]]:
    """The verification the customer brought, as an event on the visit's contact: the app's
    (carried by the check-in code) or the SMS code's; none for a booking."""
    if visit.get("verified_by") == "checkin_code" and visit.get("assurance_id"):
        original = hq.assurance(conn, visit["assurance_id"])
        assert original is not None  # assurances outlive their codes (days, not minutes)
        return [
            carried_verification(
                stable_id("visit", visit["id"], "carried"),
                original,
                contact_id,
                by=checkin_code.carried_by(),
                expires_at=max(original["expires_at"], now + AT_THE_COUNTER),
            )
        ]
    if visit.get("verified_by") == "sms_code":
        return [
            {
                "specversion": "1.0",
                "id": stable_id("visit", visit["id"], "sms"),
                "source": BRANCH_SOURCE,
                "type": "customer.authenticated",
                "time": visit["checked_in_at"].isoformat(),
                "data": {
                    "interaction_id": contact_id,
                    "channel": "branch",
                    "method": phone_code.METHOD,
                    "level": phone_code.LEVEL,
                    "expires_at": (now + AT_THE_COUNTER).isoformat(),
                },
            }
        ]
    return []
