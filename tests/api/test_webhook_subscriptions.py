"""Webhook subscriptions through the admin API (audited, admin only, secrets shown once),
the events handovers, merges and erasure send (ids only), dead letters listed and replayed
through the API, and a receiver checking deliveries with the typed client's helper."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from tests.api.calls import say, seed_miles, start_call
from tests.api.helpers import post
from tests.factories import Keys, customer, make_event
from tests.webhook_receiver import Receiver, receiving
from warmline.actions import signing
from warmline.actions.webhooks import MAX_ATTEMPTS, WebhookConfig, deliver_due
from warmline.app import create_app
from warmline.client import WebhookVerificationError, verify_webhook
from warmline.config import Settings
from warmline.domain.webhooks import parse_networks
from warmline.storage import schema as t

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
LOOPBACK = "127.0.0.0/8"
CONFIG = WebhookConfig(allowed=parse_networks(LOOPBACK), timeout=2.0)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NEW_EVENTS = (
    "handover.created", "handover.accepted", "merge.created", "merge.undone", "customer.erased"
)  # fmt: skip


@pytest.fixture
def hooks(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """The app with loopback receivers allowed (tests' receivers live on this machine)."""
    signing.forget_keys()
    allowed = settings.model_copy(update={"webhook_allowed_networks": LOOPBACK})
    with TestClient(create_app(allowed, engine)) as test_client:
        yield test_client
    signing.forget_keys()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as got:
        yield got


def subscribe(hooks: TestClient, keys: Keys, url: str, *types: str) -> dict[str, Any]:
    body = {"url": url, "event_types": list(types) or ["*"], "description": "CRM"}
    made = hooks.post("/v1/webhooks/subscriptions", json=body, headers=keys.admin)
    assert made.status_code == 201, made.text
    return dict(made.json())


def audited(engine: Engine) -> list[str]:
    a = t.audit_log
    with engine.connect() as conn:
        rows = conn.execute(sa.select(a.c.action).order_by(a.c.id)).scalars()
        return [str(r) for r in rows if str(r).startswith("webhook")]


def test_subscriptions_are_managed_by_admins_audited_and_secrets_shown_once(
    hooks: TestClient, keys: Keys, engine: Engine, receiver: Receiver
) -> None:
    for role in (keys.agent, keys.supervisor, keys.integrator, keys.auditor):
        refused = hooks.post(
            "/v1/webhooks/subscriptions",
            json={"url": receiver.url, "event_types": ["*"]},
            headers=role,
        )
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
        listing = hooks.get("/v1/webhooks/subscriptions", headers=role)
        assert listing.status_code == 403
    made = subscribe(hooks, keys, receiver.url, "handover.created", "merge.created")
    assert made["secret"].startswith("whsec_") and made["enabled"] is True
    assert made["event_types"] == ["handover.created", "merge.created"]
    sid = made["id"]
    listed = hooks.get("/v1/webhooks/subscriptions", headers=keys.admin).json()["subscriptions"]
    assert [s["id"] for s in listed] == [sid]
    assert "secret" not in listed[0] and made["secret"] not in str(listed)
    one = hooks.get(f"/v1/webhooks/subscriptions/{sid}", headers=keys.admin).json()
    assert "secret" not in one and one["url"] == receiver.url
    changed = hooks.patch(
        f"/v1/webhooks/subscriptions/{sid}",
        json={"event_types": ["*"], "enabled": False},
        headers=keys.admin,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["event_types"], changed.json()["enabled"]) == (["*"], False)
    rotated = hooks.post(f"/v1/webhooks/subscriptions/{sid}/rotate", headers=keys.admin).json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != made["secret"]
    gone = hooks.delete(f"/v1/webhooks/subscriptions/{sid}", headers=keys.admin)
    assert gone.status_code == 200 and gone.json()["deleted"] is True
    missing = hooks.get(f"/v1/webhooks/subscriptions/{sid}", headers=keys.admin)
    assert (missing.status_code, missing.json()["code"]) == (404, "subscription_not_found")
    with engine.connect() as conn:
        details = conn.execute(sa.select(t.audit_log.c.detail)).scalars().all()
    # The audit log keeps where a receiver is, never its path (some receivers' secret).
    assert all("/hooks" not in str(d) for d in details)
    assert any("http://127.0.0.1:" in str(d) for d in details)
    assert audited(engine) == [
        "webhook_subscription.created",
        "webhook_subscription.updated",
        "webhook_subscription.rotated",
        "webhook_subscription.deleted",
    ]


def test_bad_subscriptions_get_clear_errors(
    hooks: TestClient, client: TestClient, keys: Keys, receiver: Receiver
) -> None:
    def refused(app: TestClient, body: dict[str, Any]) -> tuple[int, str, str]:
        answer = app.post("/v1/webhooks/subscriptions", json=body, headers=keys.admin)
        return answer.status_code, answer.json()["code"], answer.json().get("hint", "")

    status, code, hint = refused(hooks, {"url": receiver.url, "event_types": ["order.paid"]})
    assert (status, code) == (400, "unknown_event_type") and "handover.created" in hint
    assert refused(hooks, {"url": "ftp://example.com/x", "event_types": ["*"]})[:2] == (
        400,
        "invalid_webhook_url",
    )
    assert refused(hooks, {"url": receiver.url, "event_types": []})[0] == 400
    assert refused(hooks, {"url": receiver.url, "event_types": ["*"], "x": 1})[0] == 400
    # Without the allowance (the default app), a loopback receiver is refused.
    status, code, hint = refused(client, {"url": receiver.url, "event_types": ["*"]})
    assert (status, code) == (400, "webhook_address_not_allowed")
    assert "WARMLINE_WEBHOOK_ALLOWED_NETWORKS" in hint
    status, code, _ = refused(client, {"url": "http://169.254.169.254/x", "event_types": ["*"]})
    assert (status, code) == (400, "webhook_address_not_allowed")


def test_the_configured_url_is_listed_and_not_changed_through_the_api(
    settings: Settings, engine: Engine, keys: Keys
) -> None:
    configured = settings.model_copy(
        update={
            "webhook_url": "https://hooks.example.com/warmline",
            "webhook_secret": SecretStr(SECRET),
        }
    )
    with TestClient(create_app(configured, engine)) as app:
        listed = app.get("/v1/webhooks/subscriptions", headers=keys.admin).json()
        [first] = listed["subscriptions"]
        assert (first["id"], first["configured"], first["event_types"]) == (
            "configured",
            True,
            ["*"],
        )
        one = app.get("/v1/webhooks/subscriptions/configured", headers=keys.admin)
        assert one.json()["url"] == "https://hooks.example.com/warmline"
        change = app.patch(
            "/v1/webhooks/subscriptions/configured", json={"enabled": False}, headers=keys.admin
        )
        assert (change.status_code, change.json()["code"]) == (409, "subscription_configured")


def test_handovers_merges_and_erasure_send_their_events_with_ids_only(
    hooks: TestClient, keys: Keys, engine: Engine, receiver: Receiver
) -> None:
    secret = subscribe(hooks, keys, receiver.url, *NEW_EVENTS)["secret"]
    miles = seed_miles(hooks, keys, NOW)
    call = start_call(hooks, keys.agent)
    say(hooks, keys, call["contact_id"], NOW)
    handover = hooks.post(
        f"/v1/interactions/{call['contact_id']}/handover",
        json={"to_agent": "test-supervisor", "remark": "Patient; the block is from fraud."},
        headers=keys.agent,
    ).json()
    accepted = hooks.post(f"/v1/handovers/{handover['id']}/accept", headers=keys.supervisor)
    assert accepted.status_code == 200, accepted.text
    results = post(
        hooks,
        keys.integrator,
        [
            make_event("customer.identified", customer=customer(("email", "ann@example.org"))),
            make_event("customer.identified", customer=customer(("email", "a.lee@example.net"))),
        ],
    )["results"]
    ann, other = results[0]["customer_id"], results[1]["customer_id"]
    merged = hooks.post(
        "/v1/merges",
        json={"from_id": other, "into_id": ann, "reason": "same person"},
        headers=keys.supervisor,
    ).json()
    undone = hooks.post(
        f"/v1/merges/{merged['id']}/undo", json={"reason": "wrong"}, headers=keys.supervisor
    )
    assert undone.status_code == 200, undone.text
    done = deliver_due(engine, CONFIG)
    assert done.retrying == [] and done.dead == []
    by_type = {b["type"]: b["data"] for b in receiver.bodies()}
    assert by_type["handover.created"] == {
        "handover_id": handover["id"],
        "interaction_id": handover["interaction_id"],
        "customer_id": miles,
        "from_agent": "test-agent",
        "to_agent": "test-supervisor",
        "to_queue": None,
        "created_at": by_type["handover.created"]["created_at"],
    }
    assert by_type["handover.accepted"]["accepted_by"] == "test-supervisor"
    assert by_type["handover.accepted"]["handover_id"] == handover["id"]
    assert by_type["merge.created"] == {
        "merge_id": merged["id"],
        "from_id": other,
        "into_id": ann,
        "rule": "manual",
        "made_at": by_type["merge.created"]["made_at"],
    }
    assert by_type["merge.undone"]["merge_id"] == merged["id"]
    # No customer's words: the remark, the note and the messages stay inside.
    for _, body in receiver.received:
        assert b"Patient" not in body and b"declined" not in body, body[:2000]
    for headers, body in receiver.received:
        verify_webhook(body, headers, secret)

    # Erasure: the customer's undelivered events go with them; only the id goes out.
    receiver.received.clear()
    again = hooks.post(
        f"/v1/interactions/{start_call(hooks, keys.agent)['contact_id']}/handover",
        json={"to_queue": "cards"},
        headers=keys.agent,
    )
    assert again.status_code == 201, again.text
    erased = hooks.delete(
        f"/v1/customers/{miles}", params={"reason": "customer's request"}, headers=keys.admin
    )
    assert erased.status_code == 200, erased.text
    deliver_due(engine, CONFIG)
    assert [(b["type"], b["data"]) for b in receiver.bodies()] == [
        ("customer.erased", {"customer_id": miles})
    ]
    with engine.connect() as conn:
        for table in (t.outbox, t.webhook_deliveries):
            left = conn.execute(
                sa.select(sa.func.count()).where(table.c.customer_id == miles)
            ).scalar()
            assert left == 0, table.name


def test_dead_letters_are_listed_and_replayed_through_the_api(
    hooks: TestClient, keys: Keys, engine: Engine, receiver: Receiver
) -> None:
    sid = subscribe(hooks, keys, receiver.url, "merge.created")["id"]
    results = post(
        hooks,
        keys.integrator,
        [
            make_event("customer.identified", customer=customer(("email", "b@example.org"))),
            make_event("customer.identified", customer=customer(("email", "c@example.net"))),
        ],
    )["results"]
    merged = hooks.post(
        "/v1/merges",
        json={
            "from_id": results[1]["customer_id"],
            "into_id": results[0]["customer_id"],
            "reason": "same person",
        },
        headers=keys.supervisor,
    )
    assert merged.status_code == 201, merged.text
    receiver.answers = [500] * MAX_ATTEMPTS
    when = dt.datetime.now(dt.UTC)
    for _ in range(MAX_ATTEMPTS):
        deliver_due(engine, CONFIG, now=when)
        when += dt.timedelta(hours=7)
    assert hooks.get("/v1/webhooks/dead-letters", headers=keys.agent).status_code == 403
    dead = hooks.get(
        "/v1/webhooks/dead-letters", params={"subscription_id": sid}, headers=keys.admin
    ).json()["dead_letters"]
    assert [(d["event_type"], d["attempts"], d["last_error"]) for d in dead] == [
        ("merge.created", MAX_ATTEMPTS, "HTTP 500")
    ]
    nothing = hooks.post("/v1/webhooks/dead-letters/replay", json={}, headers=keys.admin)
    assert (nothing.status_code, nothing.json()["code"]) == (400, "nothing_to_replay")
    unknown = hooks.post(
        "/v1/webhooks/dead-letters/replay", json={"ids": [987654]}, headers=keys.admin
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "dead_letter_not_found")
    replayed = hooks.post(
        "/v1/webhooks/dead-letters/replay", json={"subscription_id": sid}, headers=keys.admin
    )
    assert replayed.json() == {"replayed": 1}
    assert len(deliver_due(engine, CONFIG, now=when).delivered) == 1
    assert hooks.get("/v1/webhooks/dead-letters", headers=keys.admin).json()["dead_letters"] == []
    assert audited(engine)[-1] == "webhook.replayed"


def test_the_receiver_helper_refuses_replays_old_stamps_and_bad_signatures(
    hooks: TestClient, keys: Keys, engine: Engine, receiver: Receiver
) -> None:
    secret = subscribe(hooks, keys, receiver.url)["secret"]
    post(
        hooks,
        keys.integrator,
        [make_event("customer.identified", customer=customer(("email", "d@example.org")))],
    )
    customer_id = post(
        hooks,
        keys.integrator,
        [make_event("customer.identified", customer=customer(("email", "e@example.org")))],
    )["results"][0]["customer_id"]
    assert (
        hooks.delete(
            f"/v1/customers/{customer_id}", params={"reason": "asked"}, headers=keys.admin
        ).status_code
        == 200
    )
    deliver_due(engine, CONFIG)
    [(headers, body)] = receiver.received
    assert verify_webhook(body, headers, secret)["data"] == {"customer_id": customer_id}
    # Captured and sent again ten minutes later: refused, however valid the signature.
    stamp = int(headers["webhook-timestamp"])
    with pytest.raises(WebhookVerificationError) as old:
        verify_webhook(body, headers, secret, now=stamp + 600)
    assert old.value.code == "timestamp_too_old"
    with pytest.raises(WebhookVerificationError) as future:
        verify_webhook(body, headers, secret, now=stamp - 600)
    assert future.value.code == "timestamp_in_future"
    # A fresh timestamp on the old signature does not fit it.
    moved = {**headers, "webhook-timestamp": str(stamp + 1)}
    with pytest.raises(WebhookVerificationError) as forged:
        verify_webhook(body, moved, secret, now=stamp + 1)
    assert forged.value.code == "bad_signature"
    with pytest.raises(WebhookVerificationError) as tampered:
        verify_webhook(body.replace(b"cus_", b"cux_"), headers, secret)
    assert tampered.value.code == "bad_signature"
    with pytest.raises(WebhookVerificationError) as wrong_key:
        verify_webhook(body, headers, SECRET)
    assert wrong_key.value.code == "bad_signature"
    with pytest.raises(WebhookVerificationError) as bare:
        verify_webhook(body, {"content-type": "application/json"}, secret)
    assert bare.value.code == "missing_headers"


def test_the_typed_client_manages_webhooks_against_the_live_app(
    db_url: str, engine: Engine, keys: Keys, receiver: Receiver
) -> None:
    from tests.browser.conftest import serving
    from warmline.client import BadRequest, Client, Conflict, Forbidden, NotFound

    signing.forget_keys()
    settings = Settings(
        database_url=db_url,
        sqlite_synchronous="OFF",
        insight=False,
        webhook_allowed_networks=LOOPBACK,
    )
    with (
        serving(create_app(settings, engine)) as live,
        Client(live, key=keys.admin["Authorization"].removeprefix("Bearer ")) as admin,
    ):
        made = admin.create_webhook_subscription(receiver.url, ["customer.erased"])
        sid = made["id"]
        assert admin.get_webhook_subscription(sid)["url"] == receiver.url
        assert [s["id"] for s in admin.list_webhook_subscriptions()["subscriptions"]] == [sid]
        paused = admin.update_webhook_subscription(sid, enabled=False, description="CRM")
        assert (paused["enabled"], paused["description"]) == (False, "CRM")
        assert admin.rotate_webhook_secret(sid)["secret"] != made["secret"]
        assert admin.webhook_dead_letters(subscription_id=sid) == {"dead_letters": []}
        with pytest.raises(NotFound) as none:
            admin.replay_webhooks(subscription_id=sid)
        assert none.value.code == "dead_letter_not_found"
        with pytest.raises(BadRequest) as private:
            admin.create_webhook_subscription("http://10.0.0.8/hooks", ["*"])
        assert private.value.code == "webhook_address_not_allowed"
        with pytest.raises(Conflict) as configured:
            admin.delete_webhook_subscription("configured")
        assert configured.value.code == "subscription_configured"
        assert admin.delete_webhook_subscription(sid)["deleted"] is True
    with (
        serving(create_app(settings, engine)) as live,
        Client(live, key=keys.agent["Authorization"].removeprefix("Bearer ")) as agent,
        pytest.raises(Forbidden),
    ):
        agent.list_webhook_subscriptions()
    signing.forget_keys()
