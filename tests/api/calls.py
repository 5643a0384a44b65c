"""Seed 001's channel switch as API calls: Miles's chat, then his call, with its lines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import post
from tests.factories import Keys, app_session, customer, make_event, miles_story

PHONE = {"kind": "phone", "value": "020 7946 0958"}
MILES_BY_EMAIL = customer(("email", "miles@example.org"))
CALL_LINES = (
    ("customer", "Hi, my card keeps getting declined when I pay for fuel.", None),
    ("agent", "I can see a fraud block on the card from this morning.", "test-agent"),
    ("customer", "This is ridiculous, I just need to get to work.", None),
    ("agent", "I'll pass you to the card team, they can lift it.", "test-agent"),
)


def seed_miles(client: TestClient, keys: Keys, now: dt.datetime) -> str:
    """Miles's memory (a chat 4 minutes ago in case-9); returns his customer id."""
    return str(post(client, keys.integrator, miles_story(now))["results"][0]["customer_id"])


def start_call(
    client: TestClient,
    headers: dict[str, str],
    *,
    agent: str | None = "test-agent",
    status: int = 201,
    **extra: Any,
) -> Any:
    """A voice contact from Miles's number, routed to ``agent``; returns the response body."""
    body: dict[str, Any] = {"channel": "voice", "customer": {"identifiers": [PHONE]}, **extra}
    if agent:
        body["agent_id"] = agent
    response = client.post("/v1/contacts", json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def say(
    client: TestClient,
    keys: Keys,
    contact_id: str,
    now: dt.datetime,
    lines: tuple[tuple[str, str, str | None], ...] = CALL_LINES,
) -> None:
    """Post ``lines`` (speaker, text, agent) as messages of the contact, a second apart."""
    post(
        client,
        keys.integrator,
        [
            make_event(
                "message.posted",
                source="pbx",
                interaction_id=contact_id,
                speaker=speaker,
                text=text,
                time=(now + dt.timedelta(seconds=n + 1)).isoformat(),
                **({"agent_id": agent} if agent else {}),
            )
            for n, (speaker, text, agent) in enumerate(lines)
        ],
    )


def verify_in_app(
    client: TestClient, keys: Keys, *, session: str = "app-1", minutes: float = 2
) -> None:
    """Miles logs in to the app with his fingerprint ``minutes`` ago."""
    # From the clock now, not the module's NOW: the card words times against the clock.
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)).isoformat()
    post(client, keys.integrator, app_session(MILES_BY_EMAIL, session, started=at, verified=at))
