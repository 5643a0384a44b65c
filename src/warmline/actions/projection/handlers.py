"""What each event type changes in the memory, given the customer it landed on.

One small function per type, called by :meth:`Projector.apply` with the batch's
in-memory state and where the event landed; none of them touches the database
directly.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from warmline import events as ev
from warmline.domain.identity.continuation import CONTINUATION_SOURCE
from warmline.domain.ids import stable_id
from warmline.storage import schema as t

if TYPE_CHECKING:
    from warmline.actions.projection.projector import Projector
    from warmline.actions.projection.rows import Landing

DEFAULT_ASSURANCE_TTL = dt.timedelta(minutes=30)


# -- one handler per event type: what the event changes, given its customer -------------


def _identified(p: Projector, event: ev.Event, at: Landing) -> None:
    """Identifiers and traits were recorded by ``_learn``; nothing else to do."""


def _authenticated(p: Projector, event: ev.Event, at: Landing) -> None:
    payload = event.payload
    assert isinstance(payload, ev.CustomerAuthenticated)
    interaction = p.anchors["interaction"].get(payload.interaction_id or "")
    if interaction is not None:
        # A verification the customer went through here outranks one carried in by a code.
        carried = event.source == CONTINUATION_SOURCE
        if not carried or interaction.values["verified_by"] is None:
            interaction.set(verified_by="continuation" if carried else "customer")
    p.inserts[t.assurances].append(
        {
            "id": stable_id("asr", event.source, event.id),
            "customer_id": at.customer_id,
            "origin_id": at.origin_id,
            "channel": payload.channel,
            "method": payload.method,
            "level": payload.level,
            "source": event.source,
            "interaction_id": interaction.values["id"] if interaction else None,
            "verified_at": event.time,
            "expires_at": payload.expires_at or event.time + DEFAULT_ASSURANCE_TTL,
        }
    )


def _started(p: Projector, event: ev.Event, at: Landing) -> None:
    payload = event.payload
    assert isinstance(payload, ev.InteractionStarted)
    row = p.interaction(payload.interaction_id, at, event)
    row.set(
        channel=payload.channel,
        started_at=min(row.values["started_at"], event.time),
        agent_id=payload.agent_id or row.values["agent_id"],
        queue=payload.queue or row.values["queue"],
        subject=payload.subject or row.values["subject"],
    )


def _message(p: Projector, event: ev.Event, at: Landing) -> None:
    payload = event.payload
    assert isinstance(payload, ev.MessagePosted)
    row = p.interaction(payload.interaction_id, at, event)
    last = row.values["last_message_at"]
    row.set(
        message_count=row.values["message_count"] + 1,
        last_message_at=event.time if last is None else max(last, event.time),
        started_at=min(row.values["started_at"], event.time),
    )
    p.inserts[t.messages].append(
        {
            "id": stable_id("msg", event.source, event.id),
            "customer_id": row.values["customer_id"],
            "interaction_id": row.values["id"],
            "speaker": payload.speaker,
            "text": payload.text,
            "agent_id": payload.agent_id,
            "sent_at": event.time,
            "insight": None,  # filled for customer messages when the batch is written
        }
    )


def _transferred(p: Projector, event: ev.Event, at: Landing) -> None:
    payload = event.payload
    assert isinstance(payload, ev.InteractionTransferred)
    row = p.interaction(payload.interaction_id, at, event)
    row.set(
        transfers=row.values["transfers"] + 1,
        agent_id=payload.to_agent or row.values["agent_id"],
        queue=payload.to_queue or row.values["queue"],
    )


def _ended(p: Projector, event: ev.Event, at: Landing) -> None:
    payload = event.payload
    assert isinstance(payload, ev.InteractionEnded)
    row = p.interaction(payload.interaction_id, at, event)
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


def _case_opened(p: Projector, event: ev.Event, at: Landing) -> None:
    payload = event.payload
    assert isinstance(payload, ev.CaseOpened)
    row = p.case(payload.case_id, at, event)
    row.set(
        title=payload.title,
        priority=payload.priority,
        opened_at=min(row.values["opened_at"], event.time),
        interaction_id=p.link_case(payload.interaction_id, row) or row.values["interaction_id"],
    )


def _case_updated(p: Projector, event: ev.Event, at: Landing) -> None:
    payload = event.payload
    assert isinstance(payload, ev.CaseUpdated)
    row = p.case(payload.case_id, at, event)
    p.link_case(payload.interaction_id, row)
    if event.time < row.values["updated_at"]:
        return  # an older update arriving late does not overwrite the latest state
    changes: dict[str, Any] = {"updated_at": event.time}
    if payload.status and row.values["status"] != "resolved":
        changes["status"] = payload.status
    if payload.note:
        changes["latest_note"] = payload.note
    row.set(**changes)


def _case_resolved(p: Projector, event: ev.Event, at: Landing) -> None:
    payload = event.payload
    assert isinstance(payload, ev.CaseResolved)
    row = p.case(payload.case_id, at, event)
    row.set(
        status="resolved",
        resolved_at=event.time,
        resolution=payload.resolution,
        updated_at=max(row.values["updated_at"], event.time),
    )


def _commitment_made(p: Projector, event: ev.Event, at: Landing) -> None:
    payload = event.payload
    assert isinstance(payload, ev.CommitmentMade)
    row = p.commitment(payload.commitment_id, at, event)
    case = p.anchors["case"].get(payload.case_id or "")
    interaction = p.anchors["interaction"].get(payload.interaction_id or "")
    row.set(
        text=payload.text,
        due_at=payload.due_at,
        made_at=min(row.values["made_at"], event.time),
        made_by=payload.made_by,
        case_id=case.values["id"] if case else None,
        interaction_id=interaction.values["id"] if interaction else None,
    )


def _commitment_fulfilled(p: Projector, event: ev.Event, at: Landing) -> None:
    payload = event.payload
    assert isinstance(payload, ev.CommitmentFulfilled)
    row = p.commitment(payload.commitment_id, at, event)
    row.set(status="fulfilled", fulfilled_at=event.time, note=payload.note)


def _feedback(p: Projector, event: ev.Event, at: Landing) -> None:
    payload = event.payload
    assert isinstance(payload, ev.FeedbackSubmitted)
    interaction = p.anchors["interaction"].get(payload.interaction_id or "")
    p.inserts[t.feedback].append(
        {
            "id": stable_id("fbk", event.source, event.id),
            "customer_id": at.customer_id,
            "origin_id": at.origin_id,
            "interaction_id": interaction.values["id"] if interaction else None,
            "kind": payload.kind,
            "score": payload.score,
            "comment": payload.comment,
            "submitted_at": event.time,
        }
    )


def _activity(p: Projector, event: ev.Event, at: Landing) -> None:
    payload = event.payload
    assert isinstance(payload, ev.Activity)
    p.inserts[t.activities].append(
        {
            "id": stable_id("act", event.source, event.id),
            "customer_id": at.customer_id,
            "origin_id": at.origin_id,
            "name": payload.name,
            "summary": payload.summary,
            "attributes": payload.attributes,
            "source": event.source,
            "occurred_at": event.time,
        }
    )


def _consent(p: Projector, event: ev.Event, at: Landing) -> None:
    payload = event.payload
    assert isinstance(payload, ev.ConsentUpdated)
    p.record_facts({f"consent.{payload.purpose}": payload.granted}, at, event)


HANDLERS = {
    "customer.identified": _identified,
    "customer.authenticated": _authenticated,
    "interaction.started": _started,
    "message.posted": _message,
    "interaction.transferred": _transferred,
    "interaction.ended": _ended,
    "case.opened": _case_opened,
    "case.updated": _case_updated,
    "case.resolved": _case_resolved,
    "commitment.made": _commitment_made,
    "commitment.fulfilled": _commitment_fulfilled,
    "feedback.submitted": _feedback,
    "activity": _activity,
    "consent.updated": _consent,
}
assert set(HANDLERS) == set(ev.PAYLOADS), "every event type needs a handler"
