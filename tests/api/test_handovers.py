"""Warm handover through the API: the note, the push, the accept, and the bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.calls import say, seed_miles, start_call
from tests.factories import Keys
from warmline.actions.keys import create_key, revoke_keys_named
from warmline.storage import schema as t

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
CHAT_LINE = "My card got declined at the fuel station, second time this week."


def hand_over(
    client: TestClient, headers: dict[str, str], interaction: str, status: int = 201, **body: Any
) -> Any:
    response = client.post(f"/v1/interactions/{interaction}/handover", json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def pushes(engine: Engine, agent: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.desk_pushes)
            .where(t.desk_pushes.c.agent == agent)
            .order_by(t.desk_pushes.c.id)
        ).mappings()
        return [dict(r) for r in rows]


def test_a_handover_note_quotes_the_customer_and_reaches_the_receiver(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    seed_miles(client, keys, NOW)
    call = start_call(client, keys.agent)
    say(client, keys, call["contact_id"], NOW)
    handover = hand_over(
        client,
        keys.agent,
        call["contact_id"],
        to_agent="test-supervisor",
        to_role="card payments",
        remark="He has been very patient; block is from the 09:20 fraud rule.",
    )
    note = handover["note"]
    assert handover["status"] == "pending" and handover["from_agent"] == "test-agent"
    assert handover["to_agent"] == "test-supervisor" and handover["llm_failure"] is None
    # The call joined the chat's case, so what Miles said in the chat leads the note.
    assert note["issue"][0]["text"] == CHAT_LINE
    assert note["case_title"] == "Card declined twice"
    assert note["customer_name"] == "Miles"
    assert note["introduction"].startswith(
        "Miles, I'd like to introduce you to test-supervisor, who looks after card payments. "
        "Test-supervisor, Miles's card got declined at the fuel station"
    )
    assert "fraud block" in " ".join(note["found"])
    assert note["next_step"] == "I'll pass you to the card team, they can lift it."
    assert [c["text"] for c in note["commitments"]] == ["Send the replacement PIN"]
    assert note["feeling"]["label"] in {"frustrated", "unhappy", "upset", "appalled"}
    assert note["feeling"]["line"] == "This is ridiculous, I just need to get to work."
    assert note["remark"].startswith("He has been very patient")
    assert "Issue, in Miles's words:" in handover["text"]
    # The transfer is recorded through ingest, so the interaction counts it.
    conversation = client.get(f"/v1/interactions/{call['contact_id']}", headers=keys.agent)
    assert conversation.json()["transfers"] == 1
    assert conversation.json()["agent_id"] == "test-supervisor"
    [push] = pushes(engine, "test-supervisor")
    assert push["kind"] == "handover" and push["detail"]["handover_id"] == handover["id"]

    accepted = client.post(f"/v1/handovers/{handover['id']}/accept", headers=keys.supervisor)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["accepted_by"] == "test-supervisor"
    notice = pushes(engine, "test-agent")[-1]
    assert notice["kind"] == "handover_accepted"
    assert notice["detail"]["accepted_by"] == "test-supervisor"
    again = client.get(f"/v1/handovers/{handover['id']}", headers=keys.agent).json()
    assert again["status"] == "accepted" and again["accepted_at"] is not None
    twice = client.post(f"/v1/handovers/{handover['id']}/accept", headers=keys.supervisor)
    assert (twice.status_code, twice.json()["code"]) == (409, "handover_accepted_already")


def test_a_queue_takes_a_handover_and_anyone_there_accepts_it(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    seed_miles(client, keys, NOW)
    call = start_call(client, keys.agent)
    handover = hand_over(client, keys.agent, call["interaction_id"], to_queue="cards")
    assert handover["to_queue"] == "cards" and handover["to_agent"] is None
    assert handover["note"]["introduction"].startswith("Miles, I'm passing you to our cards team.")
    assert [p["kind"] for p in pushes(engine, "queue:cards")] == ["handover"]
    accepted = client.post(f"/v1/handovers/{handover['id']}/accept", headers=keys.supervisor)
    assert accepted.status_code == 200
    # Accepted: the interaction may be handed over again.
    hand_over(client, keys.supervisor, call["interaction_id"], to_agent="test-admin")


def test_bad_handovers_are_refused_with_their_own_codes(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    seed_miles(client, keys, NOW)
    call = start_call(client, keys.agent)
    contact = call["contact_id"]
    create_key(engine, role="agent", name="left-last-year")
    revoke_keys_named(engine, "left-last-year")
    create_key(engine, role="auditor", name="an-auditor")
    cases = [
        ("nope", {"to_agent": "test-supervisor"}, 404, "interaction_not_found"),
        ("chat-77", {"to_agent": "test-supervisor"}, 409, "interaction_ended"),
        (contact, {"to_agent": "nobody"}, 400, "unknown_agent"),
        (contact, {"to_agent": "left-last-year"}, 400, "unknown_agent"),
        (contact, {"to_agent": "an-auditor"}, 400, "unknown_agent"),
        (contact, {"to_agent": "test-agent"}, 400, "handover_to_self"),
        (contact, {"to_agent": "a", "to_queue": "b"}, 400, "invalid_handover"),
        (contact, {}, 400, "invalid_handover"),
        (contact, {"to_agent": "test-supervisor", "extra": 1}, 400, "invalid_parameter"),
    ]
    for interaction, body, status, code in cases:
        problem = hand_over(client, keys.agent, interaction, status, **body)
        assert problem["code"] == code, (interaction, body, problem)
    first = hand_over(client, keys.agent, contact, to_agent="test-supervisor")
    twice = hand_over(client, keys.agent, contact, 409, to_queue="cards")
    assert (twice["code"], twice["handover_id"]) == ("handover_pending", first["id"])
    own = client.post(f"/v1/handovers/{first['id']}/accept", headers=keys.agent)
    assert (own.status_code, own.json()["code"]) == (403, "own_handover")
    _, other = create_key(engine, role="agent", name="another-agent")
    not_yours = client.post(
        f"/v1/handovers/{first['id']}/accept", headers={"Authorization": f"Bearer {other}"}
    )
    assert (not_yours.status_code, not_yours.json()["code"]) == (403, "not_your_handover")
    missing = client.post("/v1/handovers/nope/accept", headers=keys.agent)
    assert (missing.status_code, missing.json()["code"]) == (404, "handover_not_found")
    integrator = client.post(
        f"/v1/interactions/{contact}/handover", json={"to_queue": "x"}, headers=keys.integrator
    )
    assert integrator.status_code == 403
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.handovers)).scalar_one() == 1


def test_handovers_go_with_the_customer_on_export_and_erasure(
    client: TestClient, keys: Keys
) -> None:
    cid = seed_miles(client, keys, NOW)
    call = start_call(client, keys.agent)
    handover = hand_over(client, keys.agent, call["contact_id"], to_queue="cards")
    exported = client.get(f"/v1/customers/{cid}/export", headers=keys.admin).json()
    assert [h["id"] for h in exported["handovers"]] == [handover["id"]]
    erased = client.delete(f"/v1/customers/{cid}", params={"reason": "asked"}, headers=keys.admin)
    assert erased.json()["removed"]["handovers"] == 1
    gone = client.get(f"/v1/handovers/{handover['id']}", headers=keys.agent)
    assert gone.status_code == 404
