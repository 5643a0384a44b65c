"""What each event type changes in the memory, given the customer it landed on.

One small function per type, registered for its payload class with :func:`handles` and
called by :meth:`~warmline.actions.projection.projector.Projector.apply` with the batch,
the event, where it landed and its typed payload; none of them touches the database. A
new event type is one payload class in :mod:`warmline.events` and one handler here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from warmline import events as ev
from warmline.actions.projection.batch import Batch
from warmline.actions.projection.rows import Landing
from warmline.domain.identity.continuation import CONTINUATION_SOURCE
from warmline.domain.ids import stable_id
from warmline.domain.profile.traits import CUSTOMER
from warmline.storage import schema as t

DEFAULT_ASSURANCE_TTL = dt.timedelta(minutes=30)

P = TypeVar("P", bound=ev.Payload)
Handler = Callable[[Batch, ev.Event, Landing, Any], None]
#: The handler of each event type, by the type's name (``message.posted``).
HANDLERS: dict[str, Handler] = {}


def handles(
    payload: type[P],
) -> Callable[[Callable[[Batch, ev.Event, Landing, P], None]], Handler]:
    """Register the decorated function as what events with ``payload`` change."""

    def register(handler: Callable[[Batch, ev.Event, Landing, P], None]) -> Handler:
        HANDLERS[payload.event_type] = handler
        return handler

    return register


@handles(ev.CustomerIdentified)
def _identified(b: Batch, event: ev.Event, at: Landing, payload: ev.CustomerIdentified) -> None:
    """Identifiers and traits were recorded by :meth:`Batch.learn`; nothing else to do."""


@handles(ev.CustomerAuthenticated)
def _authenticated(
    b: Batch, event: ev.Event, at: Landing, payload: ev.CustomerAuthenticated
) -> None:
    interaction = b.anchors["interaction"].get(payload.interaction_id or "")
    if interaction is not None:
        # A verification the customer went through here outranks one carried in by a code.
        carried = event.source == CONTINUATION_SOURCE
        if not carried or interaction.values["verified_by"] is None:
            interaction.set(verified_by="continuation" if carried else "customer")
    b.insert(
        t.assurances,
        id=stable_id("asr", event.source, event.id),
        customer_id=at.customer_id,
        origin_id=at.origin_id,
        channel=payload.channel,
        method=payload.method,
        level=payload.level,
        source=event.source,
        interaction_id=interaction.values["id"] if interaction else None,
        verified_at=event.time,
        expires_at=payload.expires_at or event.time + DEFAULT_ASSURANCE_TTL,
    )


@handles(ev.InteractionStarted)
def _started(b: Batch, event: ev.Event, at: Landing, payload: ev.InteractionStarted) -> None:
    row = b.anchor("interaction", payload.interaction_id, at, event)
    row.set(
        channel=payload.channel,
        started_at=min(row.values["started_at"], event.time),
        agent_id=payload.agent_id or row.values["agent_id"],
        queue=payload.queue or row.values["queue"],
        subject=payload.subject or row.values["subject"],
    )


@handles(ev.MessagePosted)
def _message(b: Batch, event: ev.Event, at: Landing, payload: ev.MessagePosted) -> None:
    row = b.anchor("interaction", payload.interaction_id, at, event)
    last = row.values["last_message_at"]
    row.set(
        message_count=row.values["message_count"] + 1,
        last_message_at=event.time if last is None else max(last, event.time),
        started_at=min(row.values["started_at"], event.time),
    )
    b.insert(
        t.messages,
        id=stable_id("msg", event.source, event.id),
        customer_id=row.values["customer_id"],
        interaction_id=row.values["id"],
        speaker=payload.speaker,
        text=payload.text,
        agent_id=payload.agent_id,
        sent_at=event.time,
    )


@handles(ev.InteractionTransferred)
def _transferred(
    b: Batch, event: ev.Event, at: Landing, payload: ev.InteractionTransferred
) -> None:
    row = b.anchor("interaction", payload.interaction_id, at, event)
    row.set(
        transfers=row.values["transfers"] + 1,
        agent_id=payload.to_agent or row.values["agent_id"],
        queue=payload.to_queue or row.values["queue"],
    )


@handles(ev.InteractionEnded)
def _ended(b: Batch, event: ev.Event, at: Landing, payload: ev.InteractionEnded) -> None:
    row = b.anchor("interaction", payload.interaction_id, at, event)
    row.set(
        status="ended",
        ended_at=event.time,
        outcome=payload.outcome,
        reason=payload.reason or row.values["reason"],
        summary=payload.summary or row.values["summary"],
        summary_by="source" if payload.summary else row.values["summary_by"],
    )
    if row.values["reason"]:
        row.set(predicted_reason=None)  # the recorded reason replaces the guess


@handles(ev.CaseOpened)
def _case_opened(b: Batch, event: ev.Event, at: Landing, payload: ev.CaseOpened) -> None:
    row = b.anchor("case", payload.case_id, at, event)
    row.set(
        title=payload.title,
        priority=payload.priority,
        opened_at=min(row.values["opened_at"], event.time),
        interaction_id=b.link_case(payload.interaction_id, row) or row.values["interaction_id"],
    )


@handles(ev.CaseUpdated)
def _case_updated(b: Batch, event: ev.Event, at: Landing, payload: ev.CaseUpdated) -> None:
    row = b.anchor("case", payload.case_id, at, event)
    b.link_case(payload.interaction_id, row)
    if event.time < row.values["updated_at"]:
        return  # an older update arriving late does not overwrite the latest state
    changes: dict[str, Any] = {"updated_at": event.time}
    if payload.status and row.values["status"] != "resolved":
        changes["status"] = payload.status
    if payload.note:
        changes["latest_note"] = payload.note
    row.set(**changes)


@handles(ev.CaseResolved)
def _case_resolved(b: Batch, event: ev.Event, at: Landing, payload: ev.CaseResolved) -> None:
    row = b.anchor("case", payload.case_id, at, event)
    row.set(
        status="resolved",
        resolved_at=event.time,
        resolution=payload.resolution,
        updated_at=max(row.values["updated_at"], event.time),
    )


@handles(ev.CommitmentMade)
def _commitment_made(b: Batch, event: ev.Event, at: Landing, payload: ev.CommitmentMade) -> None:
    row = b.anchor("commitment", payload.commitment_id, at, event)
    case = b.anchors["case"].get(payload.case_id or "")
    interaction = b.anchors["interaction"].get(payload.interaction_id or "")
    row.set(
        text=payload.text,
        due_at=payload.due_at,
        made_at=min(row.values["made_at"], event.time),
        made_by=payload.made_by,
        case_id=case.values["id"] if case else None,
        interaction_id=interaction.values["id"] if interaction else None,
    )


@handles(ev.CommitmentFulfilled)
def _commitment_fulfilled(
    b: Batch, event: ev.Event, at: Landing, payload: ev.CommitmentFulfilled
) -> None:
    row = b.anchor("commitment", payload.commitment_id, at, event)
    row.set(status="fulfilled", fulfilled_at=event.time, note=payload.note)


@handles(ev.FeedbackSubmitted)
def _feedback(b: Batch, event: ev.Event, at: Landing, payload: ev.FeedbackSubmitted) -> None:
    interaction = b.anchors["interaction"].get(payload.interaction_id or "")
    b.insert(
        t.feedback,
        id=stable_id("fbk", event.source, event.id),
        customer_id=at.customer_id,
        origin_id=at.origin_id,
        interaction_id=interaction.values["id"] if interaction else None,
        kind=payload.kind,
        score=payload.score,
        comment=payload.comment,
        submitted_at=event.time,
    )


@handles(ev.Activity)
def _activity(b: Batch, event: ev.Event, at: Landing, payload: ev.Activity) -> None:
    b.insert(
        t.activities,
        id=stable_id("act", event.source, event.id),
        customer_id=at.customer_id,
        origin_id=at.origin_id,
        name=payload.name,
        summary=payload.summary,
        attributes=payload.attributes,
        source=event.source,
        occurred_at=event.time,
    )


@handles(ev.ConsentUpdated)
def _consent(b: Batch, event: ev.Event, at: Landing, payload: ev.ConsentUpdated) -> None:
    b.record_facts({f"consent.{payload.purpose}": payload.granted}, at, event)


@handles(ev.ProfileConfirmed)
def _confirmed(b: Batch, event: ev.Event, at: Landing, payload: ev.ProfileConfirmed) -> None:
    """Each confirmed or corrected value becomes a fact from the customer (verified when
    they were); identifiers they confirmed are marked so; the timeline says what happened."""
    verified = payload.verification in {"medium", "strong"}
    b.record_facts(
        payload.confirmed, at, event, kind=CUSTOMER, verified=verified, by=payload.recorded_by
    )
    if payload.identifiers:
        # New ones are added as any source's would be (not if another customer holds them).
        b.learn(ev.CustomerRef(identifiers=list(payload.identifiers)), at, event)
    for ident in payload.identifiers:
        for owner in b.owners.get((ident.kind, ident.value), []):
            before = owner.row.values.get("confirmed_at")
            if owner.origin_id == at.origin_id and (before is None or before < event.time):
                owner.row.set(confirmed_at=event.time)
    corrected = len(payload.corrected)
    kept = len(payload.confirmed) + len(payload.identifiers) - corrected
    what = payload.form.replace("_", " ") if payload.form else "their details"
    summary = f"Confirmed {kept} detail{'s' if kept != 1 else ''} of {what}"
    if corrected:
        summary += f", corrected {', '.join(k.replace('_', ' ') for k in payload.corrected[:6])}"
    b.insert(
        t.activities,
        id=stable_id("act", event.source, event.id),
        customer_id=at.customer_id,
        origin_id=at.origin_id,
        name="profile.confirmed",
        summary=summary[:500],
        attributes={"form": payload.form, "verification": payload.verification},
        source=event.source,
        occurred_at=event.time,
    )


assert set(HANDLERS) == set(ev.PAYLOADS), "every event type needs a handler"
