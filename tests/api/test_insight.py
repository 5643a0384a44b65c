"""Insight through the API: feelings per message at ingest, mood and style on the card."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.helpers import post
from tests.factories import Keys, customer, make_event
from warmline.storage import schema as t

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
ANN = customer(("email", "ann@example.org", True))


def ago(minutes: float) -> str:
    return (NOW - dt.timedelta(minutes=minutes)).isoformat()


def chat(
    interaction_id: str, start: float, lines: list[tuple[str, str]], **ended: Any
) -> list[Any]:
    events = [
        make_event(
            "interaction.started",
            customer=ANN,
            interaction_id=interaction_id,
            channel="chat",
            time=ago(start),
        )
    ]
    for n, (speaker, text) in enumerate(lines):
        events.append(
            make_event(
                "message.posted",
                interaction_id=interaction_id,
                speaker=speaker,
                text=text,
                time=ago(start - n - 1),
            )
        )
    if ended:
        events.append(
            make_event(
                "interaction.ended", interaction_id=interaction_id, time=ago(start - 10), **ended
            )
        )
    return events


def seed(client: TestClient, keys: Keys) -> str:
    identified = make_event(
        "customer.identified",
        customer=customer(
            ("email", "ann@example.org", True),
            name="Ann Lee",
            preferred_channel="email",
            needs="hard of hearing",
        ),
        time=ago(60 * 24 * 90),
    )
    history = [
        *chat(
            "c1",
            60 * 24 * 30,
            [("customer", "Thanks so much, that sorted it, brilliant!")],
            outcome="resolved",
            reason="card_not_arrived",
        ),
        *chat(
            "c2",
            60 * 24 * 10,
            [("customer", "The card has not arrived yet, could you check?")],
            outcome="unresolved",
            reason="card_not_arrived",
        ),
        *chat(
            "c3",
            60 * 24,
            [
                ("customer", "Third time writing about my card and still nothing. Terrible."),
                ("agent", "I am sorry, let me check."),
                ("customer", "This is ridiculous, I am so angry, nobody ever calls me back!"),
            ],
            outcome="unresolved",
        ),
    ]
    body = post(client, keys.integrator, [identified, *history])
    return str(body["results"][0]["customer_id"])


def test_every_customer_message_gets_its_feelings_at_ingest(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    seed(client, keys)
    post(
        client,
        keys.integrator,
        [
            make_event(
                "message.posted", interaction_id="c3", speaker="customer", text=text, time=ago(1)
            )
            for text in ("😡😡😡", "   ", "Bonjour, ma carte ne fonctionne plus depuis hier.")
        ],
    )
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.messages.c.speaker, t.messages.c.text, t.messages.c.insight)
        ).all()
    by_text = {r.text: r for r in rows}
    furious = by_text["This is ridiculous, I am so angry, nobody ever calls me back!"].insight
    assert furious["sentiment"] < -0.5 and furious["emotions"][0][0] == "anger"
    assert by_text["I am sorry, let me check."].insight is None  # agents' words are not scored
    assert by_text["😡😡😡"].insight["emoji_only"] is True
    assert by_text["   "].insight["empty"] is True and by_text["   "].insight["emotions"] == []
    french = by_text["Bonjour, ma carte ne fonctionne plus depuis hier."].insight
    assert french["language"] == "fr" and french["supported"] is False
    assert french["emotions"] == []  # no confident nonsense in a language it was not taught


def test_the_card_says_how_they_feel_and_how_they_like_it(client: TestClient, keys: Keys) -> None:
    cid = seed(client, keys)
    card = client.get(f"/v1/customers/{cid}/card", headers=keys.agent).json()
    mood = card["mood"]
    assert mood["feeling"] == "frustrated" and mood["trend"] == "worsening"
    assert "getting worse over the last three contacts" in mood["words"]
    assert mood["line"] == "“This is ridiculous, I am so angry, nobody ever calls me back!”"
    latest = card["recent_interactions"][0]
    assert latest["external_id"] == "c3" and latest["reason"] is None
    assert latest["mood"].startswith("frustrated")
    # Recorded needs and preferences come first and are marked as recorded.
    style = {c["kind"]: c for c in card["style"]}
    assert style["needs"]["value"] == "hard of hearing" and style["needs"]["recorded"] is True
    assert style["channel"]["value"] == "email" and style["channel"]["recorded"] is True
    assert card["style"][0]["kind"] == "needs"


def test_the_first_words_of_a_contact_point_to_its_reason(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    seed(client, keys)
    post(
        client,
        keys.integrator,
        chat("c4", 5, [("customer", "My card went missing yesterday, I think it was stolen")]),
    )
    with engine.connect() as conn:
        predicted = dict(
            conn.execute(
                sa.select(t.interactions.c.external_id, t.interactions.c.predicted_reason)
            ).all()
        )
    assert predicted["c4"]["label"] in {"lost_or_stolen_card", "card_swallowed"}
    assert predicted["c4"]["confidence"] > 0.3
