"""Chatwoot's webhooks through POST /v1/connectors/chatwoot/{account}: authenticated by
the connector's secret, idempotent on Chatwoot's ids, gaps recorded as warnings."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.connector_payloads import (
    ACCOUNT,
    chatwoot_contact,
    chatwoot_conversation,
    chatwoot_event,
    chatwoot_message,
)
from tests.factories import Keys, at
from warmline.storage import schema as t

INTERACTION = f"chatwoot:{ACCOUNT}:conversation:12"


def make_connector(client: TestClient, keys: Keys, **options: Any) -> str:
    body = {"kind": "chatwoot", "account": ACCOUNT, "options": options}
    response = client.post("/v1/connectors", json=body, headers=keys.admin)
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["path"] == f"/v1/connectors/chatwoot/{ACCOUNT}"
    assert made["secret"].startswith("wlc_")
    return str(made["secret"])


def deliver(client: TestClient, secret: str, payload: Any, status: int = 200) -> Any:
    response = client.post(f"/v1/connectors/chatwoot/{ACCOUNT}?secret={secret}", json=payload)
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def secret(client: TestClient, keys: Keys) -> str:
    return make_connector(client, keys)


def test_a_conversation_becomes_an_interaction_with_its_speakers_notes_and_links(
    client: TestClient, keys: Keys, secret: str, engine: Engine
) -> None:
    created = deliver(
        client, secret, chatwoot_event("conversation_created", chatwoot_conversation())
    )
    assert created["accepted"] == 1 and created["warnings"] == []
    deliver(client, secret, chatwoot_message(101, created_at=at(1)))
    deliver(
        client,
        secret,
        chatwoot_message(
            102, "Sorry to hear that, Ada. Checking now.", message_type="outgoing", created_at=at(2)
        ),
    )
    deliver(
        client,
        secret,
        chatwoot_message(
            103,
            "Fraud block from this morning; phone team can lift it.",
            message_type="outgoing",
            private=True,
        ),
    )
    photo = {
        "id": 9,
        "file_type": "image",
        "extension": "jpg",
        "data_url": "https://files.example.net/receipt.jpg",
        "file_size": 2048,
    }
    deliver(client, secret, chatwoot_message(104, "", attachments=[photo], created_at=at(4)))
    bot = {"id": 1, "name": "Helper", "type": "agent_bot"}
    deliver(
        client,
        secret,
        chatwoot_message(105, "Rate us!", message_type="outgoing", sender=bot, created_at=at(5)),
    )
    resolved = chatwoot_conversation(status="resolved", timestamp=1795500900)
    deliver(client, secret, chatwoot_event("conversation_status_changed", resolved))

    found = client.get(f"/v1/interactions/{INTERACTION}", headers=keys.agent).json()
    assert found["channel"] == "chat" and found["status"] == "ended"
    assert found["agent_id"] == "Dave Agent" and found["queue"] == "Cards"
    said = [(m["speaker"], m["private"], m["text"]) for m in found["messages"]]
    assert said[:3] == [
        ("customer", False, "My card was declined at the fuel station."),
        ("agent", False, "Sorry to hear that, Ada. Checking now."),
        ("agent", True, "Fraud block from this morning; phone team can lift it."),
    ]
    assert said[3][0] == "customer" and "image 9.jpg" in said[3][2]
    assert found["messages"][3]["attachments"] == [
        {
            "url": "https://files.example.net/receipt.jpg",
            "name": "image 9.jpg",
            "content_type": "image",
        }
    ]
    assert said[4][0] == "bot"
    # The contact: their Chatwoot id, email and phone name one customer; the made-up
    # widget name would not have been kept, the real one is.
    customer = client.get(
        "/v1/customers", params={"identifier": "email:ada.lovell@example.net"}, headers=keys.admin
    ).json()["customers"]
    assert len(customer) == 1 and customer[0]["name"] == "Ada Lovell"
    with engine.connect() as conn:
        sources = set(conn.execute(sa.select(t.raw_events.c.source)).scalars())
    assert sources == {f"chatwoot/{ACCOUNT}"}


def test_replayed_deliveries_change_nothing(client: TestClient, keys: Keys, secret: str) -> None:
    first = deliver(client, secret, chatwoot_message(101))
    assert first["accepted"] == 2 and first["replayed"] is False  # started + message
    again = deliver(client, secret, chatwoot_message(101))
    assert again["duplicates"] == 2 and again["replayed"] is True
    updated = deliver(client, secret, chatwoot_message(101, "edited text", event="message_updated"))
    assert updated["replayed"] is True  # the first version stays
    contact = chatwoot_event("contact_created", chatwoot_contact())
    assert deliver(client, secret, contact)["accepted"] == 1
    assert deliver(client, secret, contact)["replayed"] is True
    changed = chatwoot_event("contact_updated", chatwoot_contact(phone_number="+442079460999"))
    assert deliver(client, secret, changed)["accepted"] == 1


def test_wrong_missing_or_revoked_secrets_are_refused(
    client: TestClient, keys: Keys, secret: str, engine: Engine
) -> None:
    payload = chatwoot_message(101)
    missing = client.post(f"/v1/connectors/chatwoot/{ACCOUNT}", json=payload)
    assert missing.status_code == 401 and missing.json()["code"] == "missing_connector_secret"
    wrong = client.post(f"/v1/connectors/chatwoot/{ACCOUNT}?secret=wlc_nope", json=payload)
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_connector_secret"
    other_account = client.post(f"/v1/connectors/chatwoot/8?secret={secret}", json=payload)
    assert other_account.status_code == 401
    api_key = keys.admin["Authorization"]
    as_key = client.post(
        f"/v1/connectors/chatwoot/{ACCOUNT}", json=payload, headers={"Authorization": api_key}
    )
    assert as_key.status_code == 401  # an API key is not the connector's secret
    bearer = client.post(
        f"/v1/connectors/chatwoot/{ACCOUNT}",
        json=payload,
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert bearer.status_code == 200
    listed = client.get("/v1/connectors", headers=keys.admin).json()["connectors"]
    assert len(listed) == 1 and "secret" not in listed[0]
    with engine.connect() as conn:
        stored = conn.execute(sa.select(t.connectors.c.secret_hash)).scalar_one()
    assert secret not in stored and len(stored) == 64
    revoked = client.delete(f"/v1/connectors/{listed[0]['id']}", headers=keys.admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    after = client.post(f"/v1/connectors/chatwoot/{ACCOUNT}?secret={secret}", json=payload)
    assert after.status_code == 401
    rotated = client.post(f"/v1/connectors/{listed[0]['id']}/rotate", headers=keys.admin).json()
    assert deliver(client, rotated["secret"], payload)["replayed"] is True
    assert (
        client.post(
            "/v1/connectors", json={"kind": "chatwoot", "account": ACCOUNT}, headers=keys.agent
        ).status_code
        == 403
    )


def test_gaps_are_recorded_and_unusable_payloads_refused(
    client: TestClient, keys: Keys, secret: str, engine: Engine
) -> None:
    odd = chatwoot_message(
        None,
        "x" * 20_010,
        conversation=chatwoot_conversation(
            channel="Channel::Carrier", meta={"sender": chatwoot_contact(email="not an email")}
        ),
        brand_new_field={"nested": True},
    )
    body = deliver(client, secret, odd)
    codes = {w["code"] for w in body["warnings"]}
    assert {"missing_id", "too_long", "invalid_identifier", "unknown_channel"} <= codes
    assert body["accepted"] == 2 and body["rejected"] == 0

    no_conversation = chatwoot_message(5, conversation={"status": "open"})
    refused = deliver(client, secret, no_conversation, status=422)
    assert refused["code"] == "chatwoot_missing_id" and refused["hint"]

    ignored = deliver(client, secret, {"event": "conversation_typing_on", "id": 1})
    assert ignored["accepted"] == 0 and "not used" in ignored["ignored"]
    activity = deliver(
        client, secret, chatwoot_message(6, "Conversation resolved by Dave", message_type=2)
    )
    assert "activity" in activity["ignored"]
    not_json = client.post(
        f"/v1/connectors/chatwoot/{ACCOUNT}?secret={secret}",
        content=b"{oops",
        headers={"Content-Type": "application/json"},
    )
    assert not_json.status_code == 400 and not_json.json()["code"] == "invalid_json"
    as_list = client.post(f"/v1/connectors/chatwoot/{ACCOUNT}?secret={secret}", json=[1])
    assert as_list.status_code == 400 and as_list.json()["code"] == "body_not_object"

    # The gaps are kept: with the message's raw event, and for the admin by where and code.
    with engine.connect() as conn:
        raw = conn.execute(
            sa.select(t.raw_events.c.envelope).where(t.raw_events.c.type == "message.posted")
        ).scalar_one()
    envelope = json.loads(raw) if isinstance(raw, str) else raw
    kept = json.loads(envelope["warmlinegaps"])
    assert {g["code"] for g in kept} == codes and all(g["field"] for g in kept)
    (connector,) = client.get("/v1/connectors", headers=keys.admin).json()["connectors"]
    listed = client.get(f"/v1/connectors/{connector['id']}/gaps", headers=keys.admin).json()
    recorded = {(g["event"], g["code"]) for g in listed["gaps"]}
    assert ("message_created", "chatwoot_missing_id") in recorded  # the refused delivery
    assert {c for e, c in recorded if e == "message_created"} >= codes
    assert "not an email" not in str(listed)  # where and why, never the customer's value
    message_gap = next(g for g in listed["gaps"] if g["code"] == "invalid_identifier")
    assert message_gap["event_id"].startswith("message/")
    assert (
        client.get(f"/v1/connectors/{connector['id']}/gaps", headers=keys.agent).status_code == 403
    )


def test_inbox_channels_name_each_inbox(client: TestClient, keys: Keys) -> None:
    secret = make_connector(client, keys, inbox_channels={"4": "sms"})
    sms = chatwoot_conversation(inbox_id=4, inbox_type="Channel::Api")
    deliver(client, secret, chatwoot_event("conversation_created", sms))
    found = client.get(f"/v1/interactions/{INTERACTION}", headers=keys.agent).json()
    assert found["channel"] == "sms"
    bad = client.post(
        "/v1/connectors",
        json={"kind": "zendesk", "account": "acme", "options": {"inbox_channels": {"1": "fax"}}},
        headers=keys.admin,
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_option"
