"""Webhook payloads in the shapes Chatwoot and Zendesk document, written for these tests
(every name, address and id here is made up)."""

from __future__ import annotations

from typing import Any

ACCOUNT = "7"


def chatwoot_contact(
    contact_id: int = 41, *, email: str | None = "ada.lovell@example.net", **extra: Any
) -> dict[str, Any]:
    return {
        "id": contact_id,
        "name": "Ada Lovell",
        "email": email,
        "phone_number": "+442079460123",
        "identifier": None,
        "thumbnail": "",
        "additional_attributes": {"city": "Leeds", "company_name": "Lovell Looms"},
        "custom_attributes": {"plan": "gold"},
        "account": {"id": int(ACCOUNT), "name": "Northwind Support"},
        "type": "contact",
        **extra,
    }


def chatwoot_conversation(
    conversation_id: int = 12,
    *,
    status: str = "open",
    inbox_type: str = "Channel::WebWidget",
    inbox_id: int = 1,
    timestamp: int = 1795500000,
    **extra: Any,
) -> dict[str, Any]:
    sender = chatwoot_contact()
    return {
        "additional_attributes": {"referer": "https://shop.example.net/help"},
        "can_reply": True,
        "channel": inbox_type,
        "id": conversation_id,
        "inbox_id": inbox_id,
        "contact_inbox": {
            "id": 3,
            "contact_id": sender["id"],
            "inbox_id": inbox_id,
            "source_id": "abc",
        },
        "messages": [],
        "labels": [],
        "meta": {
            "sender": {**sender, "pubsub_token": "x"},
            "assignee": {"id": 2, "name": "Dave Agent", "type": "user"},
            "team": {"id": 1, "name": "Cards"},
        },
        "status": status,
        "unread_count": 0,
        "agent_last_seen_at": 0,
        "contact_last_seen_at": 0,
        "created_at": timestamp - 60,
        "timestamp": timestamp,
        **extra,
    }


def chatwoot_event(event: str, body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "event": event}


def chatwoot_message(
    message_id: int | None = 101,
    content: str | None = "My card was declined at the fuel station.",
    *,
    message_type: str | int = "incoming",
    private: bool = False,
    sender: dict[str, Any] | None = None,
    conversation: dict[str, Any] | None = None,
    created_at: str = "2026-11-22T10:02:11.000Z",
    event: str = "message_created",
    **extra: Any,
) -> dict[str, Any]:
    if sender is None:
        if message_type in ("incoming", 0):
            sender = {"id": 41, "name": "Ada Lovell", "type": "contact"}
        else:
            sender = {
                "id": 2,
                "name": "Dave Agent",
                "email": "dave@northwind.example",
                "type": "user",
            }
    body: dict[str, Any] = {
        "content": content,
        "created_at": created_at,
        "message_type": message_type,
        "content_type": "text",
        "content_attributes": {},
        "private": private,
        "source_id": None,
        "sender": sender,
        "inbox": {"id": 1, "name": "Website"},
        "conversation": conversation or chatwoot_conversation(),
        "account": {"id": int(ACCOUNT), "name": "Northwind Support"},
        "event": event,
        **extra,
    }
    if message_id is not None:
        body["id"] = message_id
    return body


def zendesk_ticket(ticket_id: int = 35001, *, status: str = "OPEN", **extra: Any) -> dict[str, Any]:
    return {
        "id": str(ticket_id),
        "subject": "Refund not received",
        "description": "I returned the kettle two weeks ago.",
        "status": status,
        "requester_id": "9001",
        "assignee_id": "5",
        "via": {"channel": "email"},
        "created_at": "2026-11-20T09:00:00Z",
        "updated_at": "2026-11-20T09:30:00Z",
        "tags": ["refund"],
        **extra,
    }


def zendesk_event(
    kind: str, detail: dict[str, Any], event: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    subject = "user" if kind.startswith("user") else "ticket"
    return {
        "type": f"zen:event-type:{kind}",
        "account_id": 4242,
        "id": f"01J-{kind}-{detail.get('id')}",
        "time": "2026-11-20T09:30:00Z",
        "zendesk_event_version": "2022-11-06",
        "subject": f"zen:{subject}:{detail.get('id')}",
        "detail": detail,
        "event": event or {},
        **extra,
    }


def zendesk_user(user_id: int = 9001, *, role: str = "end-user", **extra: Any) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "name": "Bram Okoye",
        "email": "bram.okoye@example.org",
        "external_id": "CUST-7781",
        "role": role,
        "created_at": "2026-11-01T08:00:00Z",
        "updated_at": "2026-11-01T08:00:00Z",
        **extra,
    }
