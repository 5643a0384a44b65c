"""A generated customer's years of history on every channel, as CloudEvents envelopes.

:class:`World` builds one customer at a time (traits and identity noise, interactions on
every channel with the customer's and agents' words, cases, promises, activities and
feedback); ``events`` collects what it built. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from warmline.demo.phrases import (
    AGENT_OPENERS,
    CUSTOMER_CLOSERS,
    DAYS,
    FIRST_NAMES,
    FRUSTRATED,
    GREETINGS,
    LAST_NAMES,
    MERCHANTS,
    NICKNAMES,
    PAYEES,
    REASONS,
)

CHANNELS = {"chat": 25, "voice": 30, "email": 14, "app": 14, "web": 6, "branch": 11}
SOURCES = {
    "chat": "chat-platform",
    "voice": "pbx",
    "email": "email-gateway",
    "app": "mobile-app",
    "web": "web",
    "branch": "branch-system",
}
SEGMENTS = {"everyday": 60, "premier": 15, "student": 12, "small_business": 10, "private": 3}
OUTCOMES = {"resolved": 74, "unresolved": 8, "escalated": 7, "follow_up": 8, "abandoned": 3}
AGENTS = [
    f"agent-{n}"
    for n in (
        "dave",
        "sofia",
        "amir",
        "grace",
        "tom",
        "lena",
        "kofi",
        "mei",
        "rhys",
        "ana",
        "joe",
        "nina",
    )
]
ACTIVITIES = {
    "card_declined": "card.declined",
    "transfer_not_received": "payment.failed",
    "lost_or_stolen_card": "card.blocked",
    "card_not_arrived": "card.issued",
    "overdraft_fees": "overdraft.entered",
    "change_address": "address.changed",
    "loan_enquiry": "loan.applied",
    "direct_debit_query": "direct_debit.created",
}


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in folded if ch.isalnum() and ch.isascii()).lower()


@dataclass
class World:
    """Builds one customer's history at a time; ``events`` collects envelopes."""

    seed: int
    now: dt.datetime
    rng: random.Random
    events: list[dict[str, Any]] = field(default_factory=list)
    counter: int = 0
    prefix: str = ""
    #: Cases opened so far: a later contact about one joins it instead of opening another.
    cases_opened: set[str] = field(default_factory=set)

    def emit(self, type_: str, at: dt.datetime, source: str, **data: Any) -> str:
        self.counter += 1
        event_id = f"{self.prefix}-{self.counter}"
        self.events.append(
            {
                "specversion": "1.0",
                "id": event_id,
                "source": source,
                "type": type_,
                "time": at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
                "data": data,
            }
        )
        return event_id

    def fill(self, text: str, card: str) -> str:
        return text.format(
            amount=self.rng.choice(
                ["£12.50", "£38", "£61.20", "£99.99", "£150", "£250", "£420", "£1,200", "£8,000"]
            ),
            merchant=self.rng.choice(MERCHANTS),
            day=self.rng.choice(DAYS),
            card=card,
            payee=self.rng.choice(PAYEES),
        )

    def customer(self, n: int) -> None:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        since = self.now - dt.timedelta(days=rng.uniform(20, 15 * 365.25))
        ref = {
            "identifiers": [
                {
                    "kind": "email",
                    "value": f"{_ascii(first)}.{_ascii(last)}{n}@example.org",
                    "verified": True,
                },
                {"kind": "phone", "value": f"+4474{n:08d}", "verified": True},
                {"kind": "account_number", "value": f"{40000000 + n}", "verified": True},
            ]
        }
        style = rng.choice(["formal", "casual", "plain", "plain"])
        traits: dict[str, Any] = {
            "name": f"{first} {last}",
            "customer_since": since.date().isoformat(),
            "date_of_birth": (since - dt.timedelta(days=rng.uniform(18, 60) * 365.25))
            .date()
            .isoformat(),
            "postcode": f"{rng.choice(['SW', 'N', 'E', 'M', 'B', 'LS', 'CF', 'EH'])}{rng.randint(1, 20)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTUWXYZ')}",
            "segment": _pick(rng, SEGMENTS),
            "language": "en",
        }
        if first in NICKNAMES and rng.random() < 0.6:
            traits["preferred_name"] = NICKNAMES[first]
        self.emit("customer.identified", since, "crm", customer={**ref, "traits": traits})
        self.identity_noise(n, traits, ref)
        history = min(40, 3 + int((self.now - since).days / 365.25 * rng.uniform(0.5, 1.6)))
        times = sorted(
            since + (self.now - dt.timedelta(days=1) - since) * rng.random() for _ in range(history)
        )
        short = {"identifiers": [ref["identifiers"][0]]}
        name = traits.get("preferred_name", first)
        for at in times:
            self.interaction(short, name, style, at, reason=weighted_reason(rng))

    def identity_noise(self, n: int, traits: dict[str, Any], ref: dict[str, Any]) -> None:
        """What real memories hold: the same person met again without their email (a branch
        visit: linked on name, birth date and postcode), and a relative using their phone
        (never linked: a suggestion for a supervisor). A separate random stream, so the
        rest of the world is the same with or without it."""
        rng = random.Random(self.seed * 7919 + n)
        roll = rng.random()
        at = self.now - dt.timedelta(days=rng.uniform(30, 400))
        first, last = traits["name"].split(" ", 1)
        if roll < 0.04:
            visit = {
                "identifiers": [
                    {"kind": "phone", "value": f"+44 20 7946 {rng.randint(1000, 9999)}"}
                ],
                "traits": {
                    "name": f"{first} {last}",
                    "date_of_birth": traits["date_of_birth"],
                    "postcode": traits["postcode"],
                },
            }
            self.emit("customer.identified", at, "branch-system", customer=visit)
        elif roll < 0.055:
            relative = rng.choice([f for f in FIRST_NAMES if f[0] != first[0]])
            household = {
                "identifiers": [{**ref["identifiers"][1], "verified": False}],
                "traits": {"name": f"{relative} {last}", "postcode": traits["postcode"]},
            }
            self.emit("customer.identified", at, "branch-system", customer=household)

    def interaction(
        self,
        ref: dict[str, Any],
        name: str,
        style: str,
        at: dt.datetime,
        *,
        reason: str,
        channel: str | None = None,
        outcome: str | None = None,
        frustrated: bool = False,
        interaction_id: str | None = None,
        case_id: str | None = None,
        case_title: str | None = None,
    ) -> str:
        """One contact and its words; with ``case_id``, a contact about that case (which it
        opens, titled ``case_title``, if it is the first), else one that may open a case of
        its own."""
        rng = self.rng
        channel = channel or _pick(rng, CHANNELS)
        source = SOURCES[channel]
        _, queue, openers, replies, summaries = REASONS[reason]
        card = f"{rng.randint(1000, 9999)}"
        if reason in ACTIVITIES and rng.random() < 0.7:
            self.emit(
                "activity",
                at - dt.timedelta(hours=rng.uniform(2, 60)),
                "core-banking",
                customer=ref,
                name=ACTIVITIES[reason],
                attributes={"card_ending": card},
            )
        iid = interaction_id or f"{source}-{self.prefix}-{self.counter + 1}"
        agent = rng.choice(AGENTS)
        if channel in ("app", "chat", "voice") and rng.random() < 0.5:
            method = {"app": "app_biometric", "chat": "password_otp", "voice": "voice_id"}[channel]
            self.emit(
                "customer.authenticated",
                at,
                source,
                customer=ref,
                channel=channel,
                method=method,
                level="strong" if channel == "app" else "medium",
            )
        self.emit(
            "interaction.started",
            at,
            source,
            customer=ref,
            interaction_id=iid,
            channel=channel,
            agent_id=agent,
            queue=queue,
        )
        opener = _greet(rng.choice(GREETINGS[style]), self.fill(rng.choice(openers), card))
        lines = [("customer", opener)]
        if frustrated:
            lines.append(("customer", rng.choice(FRUSTRATED)))
        lines.append(("agent", rng.choice(AGENT_OPENERS).format(name=name)))
        lines += [
            ("agent", self.fill(r, card))
            for r in rng.sample(replies, k=min(len(replies), rng.randint(1, 2)))
        ]
        if rng.random() < 0.7:
            lines.append(("customer", rng.choice(CUSTOMER_CLOSERS[style])))
        t = at
        for speaker, text in lines:
            t += dt.timedelta(seconds=rng.uniform(20, 150))
            self.emit(
                "message.posted",
                t,
                source,
                interaction_id=iid,
                speaker=speaker,
                text=text,
                **({"agent_id": agent} if speaker == "agent" else {}),
            )
        outcome = outcome or _pick(rng, OUTCOMES)
        if outcome == "escalated" and channel == "voice":
            self.emit(
                "interaction.transferred",
                t,
                source,
                interaction_id=iid,
                from_agent=agent,
                to_queue=f"{queue}-tier2",
                remark="Needs tier 2",
            )
        summary = rng.choice(summaries) if rng.random() < 0.85 else None
        self.emit(
            "interaction.ended",
            t + dt.timedelta(seconds=30),
            source,
            interaction_id=iid,
            outcome=outcome,
            reason=reason,
            **({"summary": summary} if summary else {}),
        )
        if rng.random() < 0.2 and outcome != "abandoned":
            self.emit(
                "feedback.submitted",
                t + dt.timedelta(hours=1),
                "survey",
                interaction_id=iid,
                kind="csat",
                score=rng.choices([1, 2, 3, 4, 5], weights=[4, 5, 10, 30, 51])[0],
            )
        if case_id is not None:
            if case_id in self.cases_opened:
                self.emit("case.updated", t, "crm", case_id=case_id, interaction_id=iid)
            else:
                title = case_title or reason.replace("_", " ").capitalize()
                self.open_case(ref, case_id, title, at, iid)
        elif reason in (
            "dispute_transaction",
            "complaint_service",
            "mortgage_overpayment",
        ) or outcome in ("escalated", "follow_up"):
            self.case(ref, iid, reason, t)
        return iid

    def open_case(
        self,
        ref: dict[str, Any],
        case_id: str,
        title: str,
        at: dt.datetime,
        iid: str,
    ) -> None:
        """Open a case, by the contact ``iid`` that raised it."""
        self.cases_opened.add(case_id)
        self.emit(
            "case.opened",
            at,
            "crm",
            customer=ref,
            case_id=case_id,
            title=title,
            interaction_id=iid,
        )

    def case(self, ref: dict[str, Any], iid: str, reason: str, at: dt.datetime) -> None:
        rng, case_id = self.rng, f"case-{self.prefix}-{self.counter}"
        self.emit(
            "case.opened",
            at,
            "crm",
            customer=ref,
            case_id=case_id,
            interaction_id=iid,
            title=reason.replace("_", " ").capitalize(),
        )
        due = at + dt.timedelta(days=rng.uniform(0.5, 3))
        cmt = f"cmt-{self.prefix}-{self.counter}"
        self.emit(
            "commitment.made",
            at,
            "crm",
            case_id=case_id,
            commitment_id=cmt,
            text=rng.choice(
                [
                    "Call back with an update",
                    "Email the outcome of the review",
                    "Confirm the refund has been applied",
                ]
            ),
            due_at=iso_z(due),
        )
        if due < self.now and rng.random() < 0.85:
            self.emit("commitment.fulfilled", due, "crm", commitment_id=cmt)
            self.emit(
                "case.resolved",
                due,
                "crm",
                case_id=case_id,
                resolution="Resolved and confirmed with the customer",
            )
        elif at < self.now - dt.timedelta(days=1):
            self.emit(
                "case.updated",
                at + dt.timedelta(hours=6),
                "crm",
                case_id=case_id,
                status="pending_internal",
                note="With the back-office team",
            )


def _greet(greeting: str, text: str) -> str:
    """'Hello,' + 'My card…' reads 'Hello, my card…' (but 'Hello, I…' keeps its capital)."""
    if not greeting:
        return text
    if greeting.endswith(",") and not text.startswith("I "):
        text = text[:1].lower() + text[1:]
    return f"{greeting} {text}"


def weighted_reason(rng: random.Random) -> str:
    return rng.choices(list(REASONS), weights=[r[0] for r in REASONS.values()])[0]


def iso_z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
