"""``warmline simulate``: play live contacts against a running server so the desk pops.

It talks to the server only through the public HTTP API (``POST /v1/contacts``
and ``POST /v1/events``), like a telephony or chat platform would. Callers are
picked from the local memory when it is reachable, so cards have history.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.demo.cast import CAST
from warmline.storage import schema as t

CHANNEL_FOR_KIND = {"phone": ["voice", "voice", "sms"], "email": ["email", "chat", "app", "web"]}
LINES = {
    "card_declined": [
        "Hi, my card just got declined at the supermarket and I have money in the account.",
        "Second time today the card won't go through. What's going on?",
        "I'm still stuck with the card, the chat said you could lift the block.",
    ],
    "transfer_not_received": [
        "I sent £250 to my landlord on Monday and he says it hasn't arrived.",
        "A transfer I made isn't showing on the other side, can you check it?",
    ],
    "change_address": [
        "I've moved house and need to update my address please.",
        "Hello, new address for me, how do I change it?",
    ],
    "app_login_problem": [
        "The app keeps logging me out and asking for a code that never comes.",
        "Can't get into the app since the update.",
    ],
    "loan_enquiry": [
        "I'm thinking about a loan for a car, what rates do you do?",
        "Could I borrow about £8,000? Just looking at options.",
    ],
}
#: The demo's first caller: Miles, phoning about the card his chat could not unblock.
MILES = ("phone", CAST["miles"].phone)
AGENT_LINES = [
    "Thanks for getting in touch, let me have a look at that for you.",
    "I have it here. Give me a moment.",
    "That's sorted now. Is there anything else I can help with?",
]


class ServerRefused(RuntimeError):
    """The server answered with an error: its status and problem details."""

    def __init__(self, path: str, status: int, problem: dict[str, Any], text: str) -> None:
        super().__init__(f"{path} answered {status}: {text}")
        self.status, self.problem = status, problem


@dataclass
class Api:
    """A tiny JSON client for the server's public API (standard library only)."""

    url: str
    key: str

    def post(self, path: str, body: Any) -> Any:
        if not self.url.startswith(("http://", "https://")):
            raise RuntimeError(f"the server URL must start with http:// or https://: {self.url}")
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            self.url.rstrip("/") + path,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (scheme checked)
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:2000]
            try:
                problem = json.loads(detail)
            except ValueError:
                problem = None
            raise ServerRefused(
                path,
                exc.code,
                problem if isinstance(problem, dict) else {},
                detail[:300],
            ) from None


def pick_callers(engine: Engine | None, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """``(kind, value)`` of phones and emails of customers in the local memory."""
    if engine is None:
        return []
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.identifiers.c.kind, t.identifiers.c.value)
            .where(t.identifiers.c.kind.in_(["phone", "email"]), t.identifiers.c.verified.is_(True))
            .limit(5000)
        ).all()
    callers = [(r.kind, r.value) for r in rows]
    rng.shuffle(callers)
    # The demo's first caller is Miles, phoning after his chat: the channel-switch story.
    if MILES in callers:
        callers.remove(MILES)
        callers.insert(0, MILES)
    return callers[:count]


def simulate(
    api: Api,
    *,
    agent: str,
    callers: list[tuple[str, str]],
    contacts: int,
    interval: float,
    seed: int = 1,
    say: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Start ``contacts`` contacts routed to ``agent``, with live messages; return how many."""
    rng = random.Random(seed)
    started = 0
    for n in range(contacts):
        kind, value = (
            callers[n % len(callers)]
            if callers
            else ("phone", f"+44207946{rng.randrange(10**4):04d}")
        )
        channel = "voice" if n == 0 and kind == "phone" else rng.choice(CHANNEL_FOR_KIND[kind])
        reason = rng.choice(list(LINES))
        if callers and callers[n % len(callers)] == MILES:
            reason = "card_declined"  # his story: the card the chat could not unblock
        contact = api.post(
            "/v1/contacts",
            {
                "channel": channel,
                "agent_id": agent,
                "customer": {"identifiers": [{"kind": kind, "value": value}]},
            },
        )
        started += 1
        who = "a known customer" if contact["recognised"] else "an unrecognised caller"
        say(f"{channel} contact from {who} -> desk '{agent}' ({contact['contact_id']})")
        interaction = contact["contact_id"]
        lines = [
            ("customer", rng.choice(LINES[reason])),
            ("agent", AGENT_LINES[0]),
            ("agent", AGENT_LINES[1]),
            ("agent", AGENT_LINES[2]),
        ]
        for i, (speaker, text) in enumerate(lines):
            sleep(interval / (len(lines) + 1))
            api.post(
                "/v1/events",
                [
                    _event(
                        f"{interaction}-m{i}",
                        "message.posted",
                        {"interaction_id": interaction, "speaker": speaker, "text": text},
                    )
                ],
            )
        api.post(
            "/v1/events",
            [
                _event(
                    f"{interaction}-end",
                    "interaction.ended",
                    {"interaction_id": interaction, "outcome": "resolved", "reason": reason},
                )
            ],
        )
        sleep(interval / (len(lines) + 1))
    return started


def _event(event_id: str, type_: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "warmline.demo.simulator",
        "type": type_,
        "time": dt.datetime.now(dt.UTC).isoformat(),
        "data": data,
    }
