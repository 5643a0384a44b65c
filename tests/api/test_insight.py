"""Insight through the API: feelings per message at ingest, mood and style on the card."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.helpers import post
from tests.factories import Keys, SteadyOpinion, customer, make_event
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
    assert furious["sentiment"] < -0.5 and furious["emotions"][0][0] in {"anger", "annoyance"}
    assert furious["label"] == "negative" and furious["frustration"] >= 0.5
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
    assert mood["line"] in {
        "“This is ridiculous, I am so angry, nobody ever calls me back!”",
        "“Third time writing about my card and still nothing. Terrible.”",
    }
    assert mood["sure"] in {"sure", "fairly sure"}
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


def test_every_customer_message_has_a_label_in_the_api_and_the_export(
    client: TestClient, keys: Keys
) -> None:
    cid = seed(client, keys)
    body = client.get("/v1/interactions/c3", headers=keys.agent).json()
    said = {m["text"]: m["insight"] for m in body["messages"]}
    third = said["Third time writing about my card and still nothing. Terrible."]
    assert third["label"] == "negative" and 0.5 <= third["confidence"] <= 1.0
    assert third["frustration"] >= 0.5
    assert {"Third time", "still nothing"} <= set(third["frustration_words"])
    assert third["reading"] in {"fast", "refined"} and isinstance(third["unsure"], bool)
    assert said["I am sorry, let me check."] is None  # agents' words are not read
    exported = client.get(f"/v1/customers/{cid}/export", headers=keys.admin).json()
    labels = {m["text"]: (m["insight"] or {}).get("label") for m in exported["messages"]}
    assert labels["Thanks so much, that sorted it, brilliant!"] == "positive"
    assert labels["The card has not arrived yet, could you check?"] in {"neutral", "negative"}


def test_a_contact_that_ended_badly_is_not_happier_by_the_end(
    client: TestClient, keys: Keys
) -> None:
    seed(client, keys)
    post(
        client,
        keys.integrator,
        chat(
            "c5",
            30,
            [
                ("customer", "My card is blocked and I'm stuck at the pump."),
                ("agent", "I can't lift the block from chat, you'll need to call."),
                ("customer", "Fine, I'll call. Please make sure they know about this."),
            ],
        ),
    )
    open_mood = client.get("/v1/interactions/c5", headers=keys.agent).json()["mood"]
    assert open_mood["ending"] is None
    # The ending arrives in a later batch: the mood says how it ended.
    post(
        client,
        keys.integrator,
        [make_event("interaction.ended", interaction_id="c5", time=ago(15), outcome="escalated")],
    )
    mood = client.get("/v1/interactions/c5", headers=keys.agent).json()["mood"]
    assert "by the end" not in mood["words"] and "happier" not in mood["words"]
    assert mood["ending"] == "ended escalated" and mood["words"].endswith("ended escalated")
    assert mood["feeling"] in {"frustrated", "unhappy", "annoyed"}


def test_refined_readings_land_after_ingest_and_a_rebuild_gives_them_again(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    from warmline.actions.insight_refine import refine_all
    from warmline.actions.rebuild import rebuild_projections

    seed(client, keys)
    post(
        client,
        keys.integrator,
        chat("c6", 20, [("customer", "hmm ok then"), ("customer", "well I suppose that works")]),
    )

    def readings() -> dict[str, Any]:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.messages.c.text, t.messages.c.insight, t.messages.c.refine_due).where(
                    t.messages.c.speaker == "customer"
                )
            ).all()
        return {r.text: (r.insight, r.refine_due) for r in rows}

    before = readings()
    due = {text for text, (insight, flag) in before.items() if flag}
    assert due and all(before[text][0]["unsure"] for text in due)
    assert all(before[text][0]["reading"] == "fast" for text in before)
    opinion = SteadyOpinion()
    assert refine_all(engine, opinion=opinion) == len(due)
    after = readings()
    for text, (insight, flag) in after.items():
        assert flag is None
        assert insight["reading"] == ("refined" if text in due else "fast")
    mood = client.get("/v1/interactions/c6", headers=keys.agent).json()["mood"]
    assert mood["messages"] == 2
    assert refine_all(engine, opinion=opinion) == 0  # nothing is due twice
    rebuild_projections(engine)
    assert {text for text, (_, flag) in readings().items() if flag} == due
    refine_all(engine, opinion=opinion)
    assert readings() == after


def test_a_message_changed_while_it_is_read_again_keeps_what_it_has_now(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    from warmline.actions.insight_refine import refine_due

    seed(client, keys)
    post(
        client,
        keys.integrator,
        chat("c7", 20, [("customer", "hmm ok then"), ("customer", "well I suppose that works")]),
    )
    m = t.messages
    with engine.connect() as conn:
        due = list(conn.execute(sa.select(m.c.id).where(m.c.refine_due.is_(True))).scalars())
    assert due
    victim = due[0]

    class Meddling(SteadyOpinion):
        """While the encoder reads, something else (a rebuild, say) settles one message."""

        def scores(self, texts: Any) -> Any:
            with engine.begin() as conn:
                conn.execute(m.update().where(m.c.id == victim).values(refine_due=None))
            return super().scores(texts)

    # The encoder reads outside any transaction; the write takes only what is still due.
    assert refine_due(engine, opinion=Meddling()).messages == len(due) - 1
    with engine.connect() as conn:
        readings = dict(conn.execute(sa.select(m.c.id, m.c.insight).where(m.c.id.in_(due))).all())
    assert readings[victim]["reading"] == "fast"
    assert all(readings[other]["reading"] == "refined" for other in due[1:])
