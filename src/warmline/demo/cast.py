"""The cast of the seed stories (Miles, Priya, Elena, Bob), played as today's news.

See :mod:`warmline.demo.world` for who they are and what happened to each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from warmline.demo.history import World, iso_z, weighted_reason

#: Event ids of the cast's stories start with this (then the minute they were played).
CAST_PREFIX = "demo-cast-"


@dataclass(frozen=True)
class CastMember:
    name: str
    email: str
    phone: str


CAST = {
    "miles": CastMember("Miles Okafor", "miles.okafor@example.org", "+442079460958"),
    "priya": CastMember("Priya Raman", "priya.raman@example.org", "+442079460321"),
    "elena": CastMember("Elena Marsh", "elena.marsh@example.org", "+442079460777"),
    "bob": CastMember("Bob Fletcher", "bob.fletcher@example.org", "+442079460444"),
}


def play_cast(world: World) -> None:
    """The seed stories, placed relative to ``now`` so the live desk shows them as recent.

    Their ids carry ``now`` (to the minute): seeding again later replays the stories as
    today's, while the generated customers' history is stored once.
    """
    now, ten_years = world.now, dt.timedelta(days=3653 + 30)
    stamp = now.strftime("%Y%m%d%H%M")
    world.prefix = f"{CAST_PREFIX}{stamp}"

    def person(key: str, since: dt.timedelta, **traits: Any) -> dict[str, Any]:
        who = CAST[key]
        ref = {
            "identifiers": [
                {"kind": "email", "value": who.email, "verified": True},
                {"kind": "phone", "value": who.phone, "verified": True},
            ]
        }
        world.emit(
            "customer.identified",
            now - since,
            "crm",
            customer={
                **ref,
                "traits": {
                    "name": who.name,
                    "customer_since": (now - since).date().isoformat(),
                    **traits,
                },
            },
        )
        return {"identifiers": [ref["identifiers"][0]]}

    miles = person("miles", ten_years, preferred_name="Miles", segment="premier")
    for years in (9, 7, 5, 3, 2, 1):
        world.interaction(
            miles,
            "Miles",
            "plain",
            now - dt.timedelta(days=365 * years + 40),
            reason=weighted_reason(world.rng),
            outcome="resolved",
        )
    world.emit(
        "activity",
        now - dt.timedelta(minutes=40),
        "cards",
        customer=miles,
        name="card.declined",
        summary="Declined at Fuel & Go, Station Road",
        attributes={"amount": 61.5, "merchant": "Fuel & Go"},
    )
    world.emit(
        "interaction.started",
        now - dt.timedelta(minutes=12),
        "chat-platform",
        customer=miles,
        interaction_id=f"app-chat-miles-today-{stamp}",
        channel="chat",
        agent_id="agent-lena",
        queue="cards",
    )
    # After the chat is known, so the verification belongs to it (and can travel on).
    world.emit(
        "customer.authenticated",
        now - dt.timedelta(minutes=12),
        "mobile-app",
        customer=miles,
        channel="app",
        method="app_biometric",
        level="strong",
        interaction_id=f"app-chat-miles-today-{stamp}",
    )
    for minutes, speaker, text in (
        (
            11,
            "customer",
            "My card got declined at the fuel station, second time this week. I have money in the account.",
        ),
        (
            10,
            "agent",
            "Sorry about that, Miles. I can see a block from our fraud checks on card ending 4417.",
        ),
        (8, "customer", "Can you just remove it? I'm stuck at the pump."),
        (
            6,
            "agent",
            "I can't lift this block from chat, I'm afraid. The card team can do it on the phone straight away.",
        ),
        (5, "customer", "Fine, I'll call. Please make sure they know about this."),
    ):
        world.emit(
            "message.posted",
            now - dt.timedelta(minutes=minutes),
            "chat-platform",
            interaction_id=f"app-chat-miles-today-{stamp}",
            speaker=speaker,
            text=text,
        )
    world.emit(
        "interaction.ended",
        now - dt.timedelta(minutes=4),
        "chat-platform",
        interaction_id=f"app-chat-miles-today-{stamp}",
        outcome="escalated",
        reason="card_declined",
        summary="Fraud block on card 4417; chat cannot lift it; customer will phone the card team.",
    )

    # Priya wrote nine days ago about an overpayment applied to the wrong month and was
    # promised a statement, now overdue; she phoned an hour ago, was passed to tier 2.
    priya = person("priya", dt.timedelta(days=6 * 365), segment="everyday")
    case_id = f"case-priya-{stamp}"
    first = now - dt.timedelta(days=9)
    world.interaction(
        priya,
        "Priya",
        "formal",
        first,
        reason="mortgage_overpayment",
        channel="email",
        outcome="follow_up",
        case_id=case_id,
        case_title="Mortgage overpayment applied to the wrong month",
    )
    world.emit(
        "commitment.made",
        first + dt.timedelta(hours=2),
        "crm",
        case_id=case_id,
        commitment_id=f"cmt-priya-old-{stamp}",
        made_by="agent-sofia",
        text="Send the mortgage overpayment statement",
        due_at=iso_z(now - dt.timedelta(days=2)),
    )
    world.interaction(
        priya,
        "Priya",
        "formal",
        now - dt.timedelta(minutes=75),
        reason="mortgage_overpayment",
        channel="voice",
        outcome="escalated",
        interaction_id=f"pbx-priya-today-{stamp}",
        case_id=case_id,
    )
    world.emit(
        "case.updated",
        now - dt.timedelta(minutes=55),
        "crm",
        case_id=case_id,
        status="escalated",
        note="Transferred from agent-sofia (mortgages) to agent-dave (mortgages tier 2)",
    )
    world.emit(
        "commitment.made",
        now - dt.timedelta(minutes=55),
        "crm",
        case_id=case_id,
        commitment_id=f"cmt-priya-callback-{stamp}",
        made_by="agent-dave",
        text="We will call you back by 5pm tomorrow with the corrected balance",
        due_at=iso_z(
            (now + dt.timedelta(days=1)).replace(hour=17, minute=0, second=0, microsecond=0)
        ),
    )

    elena = person("elena", dt.timedelta(days=12 * 365), segment="premier")
    world.emit(
        "activity",
        now - dt.timedelta(days=3),
        "loans",
        customer=elena,
        name="loan.applied",
        attributes={"purpose": "car", "amount": 14500, "channel": "web"},
    )
    world.emit(
        "activity",
        now - dt.timedelta(hours=3),
        "loans",
        customer=elena,
        name="loan.approved",
        summary="Car loan approved",
        attributes={"purpose": "car", "amount": 14500},
    )
    # What the bank knows of her, and from where: her app profile two years ago, the
    # loan application three days ago. The change-of-address form shows each value's
    # source and age, and which are too old to trust.
    world.emit(
        "customer.identified",
        now - dt.timedelta(days=2 * 365 + 30),
        "mobile-app",
        customer={
            **elena,
            "traits": {
                "address": "14 Orchard Row, Leeds",
                "postcode": "LS6 2QT",
                "years_at_address": 3,
                "contact_preference": "app",
                "language": "en",
            },
        },
    )
    world.emit(
        "customer.identified",
        now - dt.timedelta(days=3),
        "loans",
        customer={
            **elena,
            "traits": {
                "employer": "Harrow & Finch Architects",
                "employment_status": "employed",
                "income_band": "40k_60k",
                "housing_status": "renting",
                "marital_status": "single",
            },
        },
    )
    # She is in the app's chat now, about her new address.
    elena_chat = f"app-chat-elena-today-{stamp}"
    world.emit(
        "interaction.started",
        now - dt.timedelta(minutes=2),
        "chat-platform",
        customer=elena,
        interaction_id=elena_chat,
        channel="chat",
        queue="everyday-banking",
    )
    world.emit(
        "customer.authenticated",
        now - dt.timedelta(minutes=2),
        "mobile-app",
        customer=elena,
        channel="app",
        method="app_biometric",
        level="strong",
        interaction_id=elena_chat,
    )
    world.emit(
        "message.posted",
        now - dt.timedelta(minutes=1),
        "chat-platform",
        interaction_id=elena_chat,
        speaker="customer",
        text="Hi, I moved house last week and need to change my address on my account.",
    )

    # Bob has phoned three times about one disputed payment: the case the first call
    # opened is still with the back office, and its promised email is late.
    bob = person("bob", dt.timedelta(days=4 * 365), preferred_name="Bob", segment="everyday")
    case_id = f"case-bob-{stamp}"
    for days in (12, 6, 2):
        world.interaction(
            bob,
            "Bob",
            "casual",
            now - dt.timedelta(days=days),
            reason="dispute_transaction",
            channel="voice",
            outcome="unresolved",
            frustrated=days < 10,
            case_id=case_id,
        )
        if days == 12:
            world.emit(
                "commitment.made",
                now - dt.timedelta(days=days, hours=-1),
                "crm",
                case_id=case_id,
                commitment_id=f"cmt-bob-review-{stamp}",
                made_by="agent-amir",
                text="Email the outcome of the review",
                due_at=iso_z(now - dt.timedelta(days=3)),
            )
    world.emit(
        "case.updated",
        now - dt.timedelta(days=2, hours=-1),
        "crm",
        case_id=case_id,
        status="pending_internal",
        note="With the disputes team",
    )
