"""Contact start: a customer makes contact; resolve them, record the interaction, push the card.

The interaction is recorded as an ``interaction.started`` event through the
normal ingest path (source ``warmline.contacts``), so the raw log stays the
single source of truth and ``warmline rebuild`` includes contacts.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from warmline.actions.channel_switch import join_recent_case
from warmline.actions.desk_push import insert_push
from warmline.actions.ingest import ingest_events
from warmline.domain.identity.identifiers import Identifier
from warmline.domain.ids import stable_id
from warmline.errors import Conflict
from warmline.storage.engine import writing

CONTACT_SOURCE = "warmline.contacts"
#: Resolutions that put a name to the caller; the others leave a new, unnamed record.
RECOGNISED = frozenset({"known", "linked"})


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
) -> Contact:
    """Resolve the caller, record the interaction and queue the card for the agent's desk.

    The caller is resolved by ingest itself (the contact is an ``interaction.started``
    event), so a contact and any other event find customers the same way. With
    ``continuity``, a recognised caller who was in touch on another channel within it
    joins that contact's case (see :mod:`warmline.actions.channel_switch`). A contact that
    began before it reached anyone (a branch visit: the customer arrived, then was called)
    gives ``started_at``; ``subject`` is what it is about, when the channel asked.
    ``with_events`` are recorded with the start, in its batch (the verification a customer
    brought to a branch): the card the desk opens has them from the first.
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
    result = ingest_events(engine, [envelope, *with_events], region=region).items[0]
    if result.status == "duplicate" or result.customer_id is None:
        raise Conflict(
            "contact_exists",
            f"a contact with id '{contact_id[:60]}' was started already",
            hint="give each contact its own contact_id; GET /v1/interactions/{id} shows that one",
        )
    recognised = result.resolution in RECOGNISED
    joined = None
    if recognised and continuity is not None:
        joined = join_recent_case(
            engine,
            customer_id=result.customer_id,
            contact_id=contact_id,
            interaction_id=stable_id("int", contact_id),
            channel=channel,
            now=now,
            window=continuity,
            region=region,
        )
    contact = Contact(
        contact_id=contact_id,
        interaction_id=stable_id("int", contact_id),
        customer_id=result.customer_id,
        channel=channel,
        recognised=recognised,
        candidates=() if recognised else result.candidates,
        pushed_to=agent_id or (f"queue:{queue}" if queue else None),
        started_at=now,
        joined_case=joined,
        push_detail=push_detail or {},
    )
    if contact.pushed_to:
        push_to_desk(engine, contact)
    return contact


def push_to_desk(engine: Engine, contact: Contact) -> None:
    """Queue the contact for its desk; the desk's live stream delivers it (and replays it)."""
    assert contact.pushed_to is not None
    with writing(engine) as conn, conn.begin():
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
