"""Event factories: ``make_event(type, **data)`` and friends, with sensible defaults."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from warmline.actions.contacts import Contact, contact_start, start_contact
from warmline.domain.identity.identifiers import Identifier
from warmline.models.feelings import Scores, default_feelings_model

_ids = itertools.count(1)
BASE_TIME = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Keys:
    agent: dict[str, str]
    supervisor: dict[str, str]
    integrator: dict[str, str]
    admin: dict[str, str]
    auditor: dict[str, str]
    kiosk: dict[str, str]


def at(minutes: float = 0) -> str:
    return (BASE_TIME + dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def customer(*idents: tuple[str, str] | tuple[str, str, bool], **traits: Any) -> dict[str, Any]:
    """``customer(("email", "a@b.org", True), name="A B")`` -> a ``data.customer`` object."""
    ref: dict[str, Any] = {
        "identifiers": [
            {"kind": i[0], "value": i[1], "verified": bool(i[2]) if len(i) > 2 else False}
            for i in idents
        ]
    }
    if traits:
        ref["traits"] = traits
    return ref


MILES = customer(("email", "miles@example.org", True), ("phone", "+44 20 7946 0958", True))


def make_event(
    type_: str, *, source: str = "crm", id_: str | None = None, time: str | None = None, **data: Any
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": id_ or f"evt-{next(_ids)}",
        "source": source,
        "type": type_,
        "time": time or at(),
        "data": data,
    }


def identified(ref: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    return make_event("customer.identified", customer=ref or MILES, **kw)


def started(
    interaction_id: str, channel: str = "chat", ref: dict[str, Any] | None = None, **kw: Any
) -> dict[str, Any]:
    return make_event(
        "interaction.started",
        customer=ref or MILES,
        interaction_id=interaction_id,
        channel=channel,
        **kw,
    )


def app_session(
    ref: dict[str, Any], session: str, *, started: str, verified: str, **verification: Any
) -> list[dict[str, Any]]:
    """A session in the app (``started``) where the customer proved who they are by
    fingerprint (``verified``): what a continuation or check-in code carries on."""
    return [
        make_event(
            "interaction.started", customer=ref, interaction_id=session, channel="app", time=started
        ),
        make_event(
            "customer.authenticated",
            source="mobile-app",
            customer=ref,
            channel="app",
            method="app_biometric",
            level="strong",
            interaction_id=session,
            time=verified,
            **verification,
        ),
    ]


def message(interaction_id: str, text: str, speaker: str = "customer", **kw: Any) -> dict[str, Any]:
    return make_event(
        "message.posted", interaction_id=interaction_id, speaker=speaker, text=text, **kw
    )


def ended(interaction_id: str, outcome: str = "resolved", **kw: Any) -> dict[str, Any]:
    return make_event("interaction.ended", interaction_id=interaction_id, outcome=outcome, **kw)


def conversation(
    interaction_id: str,
    channel: str = "chat",
    minutes: float = 0,
    ref: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """A short, complete interaction: started, two messages, ended."""
    return [
        started(interaction_id, channel, ref, time=at(minutes)),
        message(interaction_id, "My card got declined at the fuel station.", time=at(minutes + 1)),
        message(
            interaction_id,
            "Sorry to hear it, let me look.",
            speaker="agent",
            time=at(minutes + 2),
        ),
        ended(interaction_id, reason="card_declined", time=at(minutes + 3)),
    ]


def miles_story(
    now: dt.datetime,
    *,
    name: str = "Miles Okafor",
    chat_text: str = "My card got declined at the fuel station, second time this week.",
) -> list[dict[str, Any]]:
    """Seed 001's Miles: ten years a customer; a declined card 40 minutes ago; a chat that
    could not solve it (ended, escalated, 4 minutes ago); an open case; an overdue promise."""

    def ago(minutes: float) -> str:
        return (now - dt.timedelta(minutes=minutes)).isoformat()

    miles = customer(("email", "miles@example.org", True), ("phone", "+44 20 7946 0958", True))
    since = (now.date() - dt.timedelta(days=3653)).isoformat()
    return [
        make_event(
            "customer.identified",
            time=ago(60 * 24 * 400),
            customer=customer(
                ("email", "miles@example.org", True),
                ("phone", "+44 20 7946 0958", True),
                name=name,
                preferred_name="Miles",
                customer_since=since,
                segment="premier",
            ),
        ),
        make_event(
            "activity",
            customer=miles,
            name="card.declined",
            time=ago(40),
            attributes={"merchant": "Fuel & Go", "amount": 61.5},
            source="cards",
        ),
        make_event(
            "interaction.started",
            customer=miles,
            interaction_id="chat-77",
            channel="chat",
            time=ago(12),
            source="chat-platform",
        ),
        make_event(
            "message.posted",
            interaction_id="chat-77",
            speaker="customer",
            time=ago(11),
            text=chat_text,
            source="chat-platform",
        ),
        make_event(
            "message.posted",
            interaction_id="chat-77",
            speaker="agent",
            time=ago(6),
            text="I can't lift this block from chat, the card team can by phone.",
            source="chat-platform",
        ),
        make_event(
            "interaction.ended",
            interaction_id="chat-77",
            outcome="escalated",
            reason="card_declined",
            time=ago(4),
            source="chat-platform",
        ),
        make_event(
            "case.opened",
            customer=miles,
            case_id="case-9",
            title="Card declined twice",
            interaction_id="chat-77",
            time=ago(5),
            source="crm",
        ),
        # A promise from an earlier contact, before this case: overdue now.
        make_event(
            "commitment.made",
            customer=miles,
            commitment_id="cmt-9",
            time=ago(60 * 30),
            text="Send the replacement PIN",
            due_at=ago(60 * 6),
            source="crm",
        ),
    ]


class SteadyOpinion:
    """A second opinion on feelings that reads every message the same (mildly positive, no
    emotion): the refinement pass's own behaviour, whatever the shipped encoder says."""

    def scores(self, texts: Sequence[str]) -> Scores:
        model = default_feelings_model()
        rows = len(texts)
        return Scores(
            np.tile(np.array([0.2, 0.3, 0.5], np.float32), (rows, 1)),
            np.zeros((rows, len(model.emotions)), np.float32),
            np.zeros((rows, len(model.ekman_labels)), np.float32),
        )


def dave_starts(
    engine: Engine,
    channel: str,
    identifier: Identifier,
    contact_id: str,
    now: dt.datetime,
    *,
    known: str | None = None,
) -> Contact:
    """A contact by ``identifier`` on ``channel``, started by the agent Dave with a
    30-minute continuity window (for the customer named ``known``, when given)."""
    return start_contact(
        engine,
        contact_start(
            channel=channel,
            identifiers=[identifier],
            agent_id="dave",
            contact_id=contact_id,
            now=now,
            continuity=dt.timedelta(minutes=30),
        ),
        known=known,
    )
