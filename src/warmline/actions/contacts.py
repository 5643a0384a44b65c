"""Contact start: a customer makes contact; resolve them, record the interaction, push the card.

The interaction is recorded as an ``interaction.started`` event through the
normal ingest path (source ``warmline.contacts``), so the raw log stays the
single source of truth and ``warmline rebuild`` includes contacts.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Engine

from warmline.actions.channel_switch import Switch, case_switch
from warmline.actions.desk_push import insert_push
from warmline.actions.ingest import ingest_within
from warmline.actions.retries import in_write_transaction
from warmline.domain.identity.identifiers import Identifier
from warmline.domain.ids import stable_id
from warmline.errors import Conflict

CONTACT_SOURCE = "warmline.contacts"
#: Resolutions that put a name to the caller; the others leave a new, unnamed record.
RECOGNISED = frozenset({"known", "linked"})
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Contact:
    """A started contact: its interaction, the customer it was recorded on, and who they are."""

    contact_id: str
    interaction_id: str
    customer_id: str
    channel: str
    recognised: bool
    candidates: tuple[str, ...]
    pushed_to: str | None
    started_at: dt.datetime
    #: The case a channel switch put this contact in (its external id), if any.
    joined_case: str | None = None
    #: More for the desk's contact list (a branch visit's ticket).
    push_detail: Mapping[str, Any] = field(default_factory=dict)


def start_contact(
    engine: Engine,
    start: ContactStart,
    *,
    known: str | None = None,
    also: Callable[[Connection, Contact], None] | None = None,
) -> Contact:
    """Resolve the caller, record the interaction and queue the card for the agent's desk.

    ``start`` is what :func:`contact_start` made of the contact.

    Everything is one transaction: the start, the channel switch, the desk's push and
    ``also`` (the caller's own writes about the contact), so the desk never sees half a
    contact. The metrics rollups and risk scores the start changes are not recomputed in
    it but recorded as due, and brought up to date just after it commits
    (:mod:`warmline.actions.derived`): the push does not wait for them.

    ``known`` is the customer the caller knows the contact is for (a branch visit's): the
    channel switch is then decided before and recorded in the start's own batch; should
    ingest find anyone else, the start is done again without it.
    """
    known = known if start.continuity else None
    return in_start_transactions(
        engine,
        lambda conn, trust_known: start_within(conn, start, known if trust_known else None, also),
    )


def contact_start(
    *,
    channel: str,
    identifiers: Sequence[Identifier],
    agent_id: str | None = None,
    queue: str | None = None,
    contact_id: str | None = None,
    region: str = "GB",
    now: dt.datetime | None = None,
    continuity: dt.timedelta | None = None,
    subject: str | None = None,
    started_at: dt.datetime | None = None,
    push_detail: Mapping[str, Any] | None = None,
    with_events: Sequence[Mapping[str, Any]] = (),
    guest: bool = False,
) -> ContactStart:
    """What a contact's start records, to start with :func:`start_contact` (or
    :func:`start_within` in the caller's own transaction).

    The caller is resolved by ingest itself (the contact is an ``interaction.started``
    event), so a contact and any other event find customers the same way. With
    ``continuity``, a recognised caller who was in touch on another channel within it
    joins that contact's case (see :mod:`warmline.actions.channel_switch`). A contact that
    began before it reached anyone (a branch visit: the customer arrived, then was called)
    gives ``started_at``; ``subject`` is what it is about, when the channel asked.
    ``with_events`` are recorded with the start, in its batch (the verification a customer
    brought to a branch): the card the desk opens has them from the first.

    A ``guest`` (a branch visit by a number no named customer holds) is shown as not
    recognised, whichever record ingest lands the contact on.
    """
    now = now or dt.datetime.now(dt.UTC)
    contact_id = contact_id or f"wl-contact-{secrets.token_hex(8)}"
    envelope: dict[str, Any] = {
        "specversion": "1.0",
        "id": contact_id,
        "source": CONTACT_SOURCE,
        "type": "interaction.started",
        "time": (started_at or now).isoformat(),
        "data": {
            "customer": {
                "identifiers": [
                    {"kind": i.kind, "value": i.value, "verified": False} for i in identifiers
                ]
            },
            "interaction_id": contact_id,
            "channel": channel,
            **({"agent_id": agent_id} if agent_id else {}),
            **({"queue": queue} if queue else {}),
            **({"subject": subject} if subject else {}),
        },
    }
    return ContactStart(
        envelope=envelope,
        with_events=list(with_events),
        contact_id=contact_id,
        channel=channel,
        continuity=continuity,
        pushed_to=agent_id or (f"queue:{queue}" if queue else None),
        push_detail=push_detail or {},
        region=region,
        now=now,
        guest=guest,
    )


def in_start_transactions(engine: Engine, attempt: Callable[[Connection, bool], _T]) -> _T:
    """Run ``attempt`` in a writing transaction until it commits: again, without trusting
    who the caller knew the contact was for, when ingest found someone else
    (:class:`NotWhoWasKnown`), and again on a lost race for a row or the database's lock."""
    try:
        return in_write_transaction(engine, lambda conn: attempt(conn, True))
    except NotWhoWasKnown:
        return in_write_transaction(engine, lambda conn: attempt(conn, False))


@dataclass(frozen=True, slots=True)
class ContactStart:
    """What a contact's start records, whichever way it is done."""

    envelope: dict[str, Any]
    with_events: list[Mapping[str, Any]]
    contact_id: str
    channel: str
    continuity: dt.timedelta | None
    pushed_to: str | None
    push_detail: Mapping[str, Any]
    region: str
    now: dt.datetime
    guest: bool = False


class NotWhoWasKnown(Exception):
    """Ingest put the contact on someone other than the customer the caller named: the
    channel switch decided for them does not hold (the transaction is rolled back)."""


def start_within(
    conn: Connection,
    start: ContactStart,
    known: str | None,
    also: Callable[[Connection, Contact], None] | None = None,
) -> Contact:
    """Record ``start`` in the caller's transaction: the start, the channel switch, ``also``
    and the desk's push. Raises :class:`NotWhoWasKnown` when ingest put the contact on
    someone other than ``known`` (the caller rolls back and starts again without it)."""
    interaction_id = stable_id("int", start.contact_id)
    switch = _switch(conn, start, known) if known else None
    batch = [start.envelope, *(switch.events if switch else ()), *start.with_events]
    # The desk's push waits for this transaction: the rollups and risk scores it
    # changes are brought up to date just after it commits (recorded as due in it).
    result = ingest_within(
        conn, batch, region=start.region, received_at=start.now, derived_later=True
    ).items[0]
    if result.status == "duplicate" or result.customer_id is None:
        raise Conflict(
            "contact_exists",
            f"a contact with id '{start.contact_id[:60]}' was started already",
            hint="give each contact its own contact_id; GET /v1/interactions/{id} shows that one",
        )
    recognised = result.resolution in RECOGNISED and not start.guest
    if known and (result.customer_id != known or result.resolution != "known"):
        raise NotWhoWasKnown
    if recognised and start.continuity is not None and not known:
        switch = _switch(conn, start, result.customer_id)
        if switch is not None:
            ingest_within(
                conn,
                switch.events,
                region=start.region,
                received_at=start.now,
                derived_later=True,
            )
    contact = Contact(
        contact_id=start.contact_id,
        interaction_id=interaction_id,
        customer_id=result.customer_id,
        channel=start.channel,
        recognised=recognised,
        candidates=() if recognised else result.candidates,
        pushed_to=start.pushed_to,
        started_at=start.now,
        joined_case=switch.case_ref if switch else None,
        push_detail=start.push_detail,
    )
    if also is not None:
        also(conn, contact)
    if contact.pushed_to:
        record_push(conn, contact)
    return contact


def _switch(conn: Connection, start: ContactStart, customer_id: str) -> Switch | None:
    assert start.continuity is not None
    return case_switch(
        conn,
        customer_id=customer_id,
        contact_id=start.contact_id,
        interaction_id=stable_id("int", start.contact_id),
        channel=start.channel,
        now=start.now,
        window=start.continuity,
    )


def record_push(conn: Connection, contact: Contact) -> None:
    """The contact's push to its desk, in the caller's transaction (its desk's stream wakes
    when that commits)."""
    assert contact.pushed_to is not None
    insert_push(
        conn,
        agent=contact.pushed_to,
        kind="contact",
        customer_id=contact.customer_id,
        interaction_id=contact.interaction_id,
        channel=contact.channel,
        detail={
            **contact.push_detail,
            "contact_id": contact.contact_id,
            "recognised": contact.recognised,
            "candidates": list(contact.candidates),
        },
        at=contact.started_at,
    )
