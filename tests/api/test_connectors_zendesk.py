"""Zendesk's event webhooks and trigger bodies through POST /v1/connectors/zendesk/{account}."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.connector_payloads import zendesk_event, zendesk_ticket, zendesk_user
from tests.factories import Keys

INTERACTION = "zendesk:acme:ticket:35001"


@pytest.fixture
def secret(client: TestClient, keys: Keys) -> str:
    body = {"kind": "zendesk", "account": "acme"}
    return str(client.post("/v1/connectors", json=body, headers=keys.admin).json()["secret"])


def deliver(client: TestClient, secret: str, payload: Any, status: int = 200) -> Any:
    response = client.post(
        "/v1/connectors/zendesk/acme", json=payload, headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == status, response.text
    return response.json()


def comment(comment_id: int, body: str, *, staff: bool, public: bool = True) -> dict[str, Any]:
    author = {
        "id": "5" if staff else "9001",
        "is_staff": staff,
        "name": "Sam Agent" if staff else "Bram",
    }
    when = f"2026-11-20T09:3{comment_id}:00Z"
    return {
        "comment": {
            "id": str(comment_id),
            "body": body,
            "is_public": public,
            "author": author,
            "created_at": when,
        }
    }


def test_tickets_comments_and_users_become_the_customers_memory(
    client: TestClient, keys: Keys, secret: str
) -> None:
    user = deliver(client, secret, zendesk_event("user.created", zendesk_user()))
    assert user["accepted"] == 1
    staff = deliver(client, secret, zendesk_event("user.created", zendesk_user(5, role="agent")))
    assert staff["accepted"] == 0 and "staff" in staff["ignored"]
    deliver(client, secret, zendesk_event("ticket.created", zendesk_ticket()))
    said = zendesk_event(
        "ticket.comment_added", zendesk_ticket(), comment(1, "Where is my refund?", staff=False)
    )
    assert deliver(client, secret, said)["accepted"] == 1  # the ticket's start is a duplicate
    note = comment(2, "Warehouse has not scanned it back.", staff=True, public=False)
    deliver(client, secret, zendesk_event("ticket.comment_added", zendesk_ticket(), note))
    reply = comment(3, "It is on its way back to us, Bram.", staff=True)
    deliver(client, secret, zendesk_event("ticket.comment_added", zendesk_ticket(), reply))
    solved = zendesk_event(
        "ticket.status_changed",
        zendesk_ticket(status="SOLVED"),
        {"current": "SOLVED", "previous": "OPEN"},
    )
    assert deliver(client, secret, solved)["accepted"] == 1
    assert deliver(client, secret, solved)["replayed"] is True

    found = client.get(f"/v1/interactions/{INTERACTION}", headers=keys.agent).json()
    assert found["channel"] == "email" and found["status"] == "ended"
    assert found["subject"] == "Refund not received"
    assert [(m["speaker"], m["private"]) for m in found["messages"]] == [
        ("customer", False),
        ("agent", True),
        ("agent", False),
    ]
    # The user (email, external id) and the ticket's requester are one customer.
    by_email = client.get(
        "/v1/customers", params={"identifier": "email:bram.okoye@example.org"}, headers=keys.admin
    ).json()["customers"]
    assert by_email and by_email[0]["id"] == found["customer_id"]


def test_a_trigger_body_works_as_documented(client: TestClient, keys: Keys, secret: str) -> None:
    body = {
        "ticket": {
            "id": "35002",
            "subject": "Card stuck in machine",
            "status": "open",
            "via": "Web form",
            "created_at": "2026-11-21T10:00:00Z",
            "updated_at": "2026-11-21T10:05:00Z",
            "requester": {"id": "9002", "email": "cleo@example.org", "name": "Cleo Marsh"},
            "latest_comment": {
                "id": "77",
                "body": "The machine kept my card.",
                "is_public": "true",
                "author_id": "9002",
                "author_is_staff": "false",
                "attachments": [{"content_url": "javascript:alert(1)", "file_name": "x"}],
            },
        }
    }
    first = deliver(client, secret, body)
    assert first["accepted"] == 2
    assert [w["code"] for w in first["warnings"]] == ["invalid_value"]  # the script link
    found = client.get("/v1/interactions/zendesk:acme:ticket:35002", headers=keys.agent).json()
    assert found["channel"] == "web" and found["messages"][0]["speaker"] == "customer"
    assert found["messages"][0]["attachments"] is None


def test_unusable_and_unknown_zendesk_payloads(client: TestClient, secret: str) -> None:
    missing = deliver(
        client, secret, zendesk_event("ticket.created", {"status": "OPEN"}), status=422
    )
    assert missing["code"] == "zendesk_missing_id"
    other = deliver(client, secret, zendesk_event("organization.created", {"id": "1"}))
    assert "not used" in other["ignored"]
    neither = deliver(client, secret, {"hello": "world"})
    assert "trigger body" in neither["ignored"]
    wrong = client.post(
        "/v1/connectors/zendesk/acme", json={}, headers={"Authorization": "Bearer x"}
    )
    assert wrong.status_code == 401
