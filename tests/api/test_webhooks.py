"""Webhooks out of the outbox: fanned out to every matching subscription (and to
WARMLINE_WEBHOOK_URL), signed as Standard Webhooks (checked with the reference library)
with each receiver's own secret, retried with backoff per receiver when it answers 500,
times out or redirects, dead-lettered after the last attempt and replayed; receivers at
non-public addresses refused unless allowed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.webhook_receiver import Receiver, receiving
from warmline.actions import signing
from warmline.actions.outbox import enqueue
from warmline.actions.webhook_subscriptions import (
    create_subscription,
    delete_subscription,
    rotate_subscription_secret,
    update_subscription,
)
from warmline.actions.webhooks import (
    MAX_ATTEMPTS,
    WebhookConfig,
    dead_letters,
    deliver_due,
    outbox_summary,
    replay_dead,
)
from warmline.config import Settings
from warmline.domain.access.roles import LOCAL_ADMIN
from warmline.domain.webhooks import parse_networks
from warmline.errors import InvalidRequest
from warmline.serving.background import check_webhook_settings
from warmline.storage import schema as t
from warmline.storage.engine import writing

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NOW = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
LOOPBACK = parse_networks("127.0.0.0/8")
ALLOWED = WebhookConfig(allowed=LOOPBACK, timeout=2.0)


@pytest.fixture(autouse=True)
def fresh_keys() -> Iterator[None]:
    signing.forget_keys()  # each test's database makes its own key
    yield
    signing.forget_keys()


@pytest.fixture
def first() -> Iterator[Receiver]:
    with receiving() as got:
        yield got


@pytest.fixture
def second() -> Iterator[Receiver]:
    with receiving() as got:
        yield got


def event(engine: Engine, event_type: str = "customer.at_risk") -> str:
    with writing(engine) as conn, conn.begin():
        return enqueue(
            conn, event_type, {"customer_id": "cus_1", "score": 72}, now=NOW, customer_id="cus_1"
        )


def subscribe(engine: Engine, url: str, *types: str, **kw: Any) -> tuple[str, str]:
    made, secret = create_subscription(
        engine, LOCAL_ADMIN, url=url, event_types=types or ["*"], allowed=LOOPBACK, **kw
    )
    return made["id"], secret


def deliveries(engine: Engine, subscription_id: str) -> list[dict[str, Any]]:
    d = t.webhook_deliveries
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(d).where(d.c.subscription_id == subscription_id).order_by(d.c.id)
        )
        return [dict(r) for r in rows.mappings()]


def test_each_event_goes_to_every_matching_subscription_signed_with_its_own_secret(
    engine: Engine, first: Receiver, second: Receiver
) -> None:
    handovers_only, first_secret = subscribe(engine, first.url, "handover.created")
    everything, second_secret = subscribe(engine, second.url, "*")
    at_risk, handed = event(engine), event(engine, "handover.created")
    done = deliver_due(engine, ALLOWED, now=NOW)
    assert done.routed == 2 and done.retrying == [] and done.dead == []
    assert sorted(done.delivered) == sorted(
        [(handovers_only, handed), (everything, at_risk), (everything, handed)]
    )
    assert first.types() == ["handover.created"]
    assert sorted(second.types()) == ["customer.at_risk", "handover.created"]
    headers, body = first.received[0]
    assert headers["webhook-id"] == handed
    assert Webhook(first_secret).verify(body, headers)["data"]["customer_id"] == "cus_1"
    with pytest.raises(WebhookVerificationError):  # another receiver's secret does not fit
        Webhook(second_secret).verify(body, headers)
    # The same event has the same webhook-id at every receiver (they drop repeats by it).
    assert {h["webhook-id"] for h, _ in second.received} == {at_risk, handed}
    for h, b in second.received:
        Webhook(second_secret).verify(b, h)
    # Nothing is sent twice.
    again = deliver_due(engine, ALLOWED, now=NOW + dt.timedelta(hours=1))
    assert (again.routed, again.delivered) == (0, [])


def test_the_configured_url_is_a_subscription_to_everything(
    engine: Engine, first: Receiver, second: Receiver
) -> None:
    subscribe(engine, second.url, "merge.created")
    message_id = event(engine)
    config = WebhookConfig(configured_url=first.url, configured_secret=SECRET, allowed=LOOPBACK)
    done = deliver_due(engine, config, now=NOW)
    assert done.delivered == [("configured", message_id)] and second.received == []
    headers, body = first.received[0]
    payload = Webhook(SECRET).verify(body, headers)
    assert payload["type"] == "customer.at_risk"
    assert payload["data"] == {"customer_id": "cus_1", "score": 72}


def test_failures_are_retried_per_receiver_with_backoff_then_dead_lettered_and_replayed(
    engine: Engine, first: Receiver, second: Receiver
) -> None:
    failing, _ = subscribe(engine, first.url)
    healthy, _ = subscribe(engine, second.url)
    message_id = event(engine)
    first.answers = [500, "hang"]
    done = deliver_due(engine, ALLOWED, now=NOW)
    assert done.retrying == [(failing, message_id)] and done.delivered == [(healthy, message_id)]
    [row] = deliveries(engine, failing)
    assert (row["attempts"], row["last_error"], row["next_attempt_at"]) == (
        1,
        "HTTP 500",
        NOW + dt.timedelta(seconds=30),
    )
    # Not due yet: nothing is sent.
    assert deliver_due(engine, ALLOWED, now=NOW + dt.timedelta(seconds=10)).retrying == []
    later = NOW + dt.timedelta(seconds=30)
    quick = WebhookConfig(allowed=LOOPBACK, timeout=0.5)
    assert deliver_due(engine, quick, now=later).retrying == [(failing, message_id)]
    [row] = deliveries(engine, failing)
    assert row["last_error"].startswith("no answer")
    assert row["next_attempt_at"] == later + dt.timedelta(minutes=1)
    first.answers = [503] * MAX_ATTEMPTS
    when = later
    for _ in range(MAX_ATTEMPTS - 2):
        when += dt.timedelta(hours=7)
        deliver_due(engine, ALLOWED, now=when)
    [row] = deliveries(engine, failing)
    assert (row["status"], row["attempts"], row["last_error"]) == ("dead", MAX_ATTEMPTS, "HTTP 503")
    # The healthy receiver got it once, and is not held back by the other's dead letter.
    assert [r["status"] for r in deliveries(engine, healthy)] == ["delivered"]
    assert len(second.received) == 1
    [dead] = dead_letters(engine)
    assert (dead["subscription_id"], dead["message_id"]) == (failing, message_id)
    assert outbox_summary(engine)["counts"] == {"dead": 1, "delivered": 1, "unrouted": 0}
    assert replay_dead(engine, LOCAL_ADMIN, ids=[dead["id"]], now=when) == 1
    first.answers = []
    assert deliver_due(engine, ALLOWED, now=when).delivered == [(failing, message_id)]
    assert dead_letters(engine) == []
    # The same webhook-id every time: the receiver can tell it is one event.
    assert {h["webhook-id"] for h, _ in first.received} == {message_id}


def test_a_slow_receiver_within_the_timeout_gets_its_delivery(
    engine: Engine, first: Receiver
) -> None:
    subscription, _ = subscribe(engine, first.url)
    message_id = event(engine)
    first.answers = ["slow"]
    done = deliver_due(engine, WebhookConfig(allowed=LOOPBACK, timeout=2.5), now=NOW)
    assert done.delivered == [(subscription, message_id)]


def test_a_redirect_is_not_followed(engine: Engine, first: Receiver, second: Receiver) -> None:
    subscription, _ = subscribe(engine, first.url)
    message_id = event(engine)
    # A receiver that answers "go to this other (private) address" is not followed there.
    first.answers = [("redirect", second.url)]
    done = deliver_due(engine, ALLOWED, now=NOW)
    assert done.retrying == [(subscription, message_id)]
    assert second.received == []
    [row] = deliveries(engine, subscription)
    assert row["last_error"].startswith("HTTP 302: redirects are not followed")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hooks",
        "http://localhost/hooks",
        "http://10.1.2.3/hooks",
        "http://192.168.0.7/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/hooks",
        "http://[::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://[fd00::1]/hooks",
        "http://0.0.0.0/hooks",
    ],
)
def test_receivers_at_non_public_addresses_are_refused(engine: Engine, url: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        create_subscription(engine, LOCAL_ADMIN, url=url, event_types=["*"])
    assert refused.value.code == "webhook_address_not_allowed"
    assert "WARMLINE_WEBHOOK_ALLOWED_NETWORKS" in refused.value.hint


@pytest.mark.parametrize("url", ["ftp://example.com/x", "hooks.example.com", "http:///x"])
def test_urls_that_are_not_http_are_refused(engine: Engine, url: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        create_subscription(engine, LOCAL_ADMIN, url=url, event_types=["*"])
    assert refused.value.code == "invalid_webhook_url"


def test_the_address_is_checked_again_when_sending(engine: Engine, first: Receiver) -> None:
    subscription, _ = subscribe(engine, first.url)
    event(engine)
    # The allowance is withdrawn after the subscription was made: nothing reaches it.
    done = deliver_due(engine, WebhookConfig(), now=NOW)
    assert len(done.retrying) == 1 and first.received == []
    [row] = deliveries(engine, subscription)
    assert "127.0.0.1 is a loopback address" in row["last_error"]


def test_secrets_are_derived_not_stored_and_rotate(engine: Engine, first: Receiver) -> None:
    subscription, secret = subscribe(engine, first.url)
    key = secret.removeprefix("whsec_")
    with engine.connect() as conn:
        stored = conn.execute(sa.select(t.webhook_subscriptions)).mappings().one()
        audit = " ".join(str(r.detail) for r in conn.execute(sa.select(t.audit_log.c.detail)).all())
    assert all(key not in str(value) for value in stored.values())
    assert key not in audit
    _, new_secret = rotate_subscription_secret(engine, LOCAL_ADMIN, subscription)
    assert new_secret != secret
    event(engine)
    deliver_due(engine, ALLOWED, now=NOW)
    headers, body = first.received[0]
    Webhook(new_secret).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_a_changed_signing_key_stops_deliveries_until_the_secret_is_rotated(
    engine: Engine, first: Receiver
) -> None:
    subscription, _ = subscribe(engine, first.url)
    event(engine)
    link_secret = SecretStr("x" * 40)
    config = WebhookConfig(allowed=LOOPBACK, link_secret=link_secret)
    done = deliver_due(engine, config, now=NOW)
    assert len(done.retrying) == 1 and first.received == []
    [row] = deliveries(engine, subscription)
    assert "signing key changed" in row["last_error"] and "rotate" in row["last_error"]
    _, secret = rotate_subscription_secret(
        engine, LOCAL_ADMIN, subscription, link_secret=link_secret
    )
    done = deliver_due(engine, config, now=NOW + dt.timedelta(minutes=1))
    assert len(done.delivered) == 1
    Webhook(secret).verify(first.received[0][1], first.received[0][0])


def test_a_paused_subscription_gets_nothing_new_and_a_deleted_one_drops_its_queue(
    engine: Engine, first: Receiver
) -> None:
    subscription, _ = subscribe(engine, first.url)
    update_subscription(engine, LOCAL_ADMIN, subscription, enabled=False)
    event(engine)
    assert deliver_due(engine, ALLOWED, now=NOW).routed == 1
    assert deliveries(engine, subscription) == [] and first.received == []
    update_subscription(engine, LOCAL_ADMIN, subscription, enabled=True)
    event(engine)
    first.answers = [500]
    deliver_due(engine, ALLOWED, now=NOW)
    assert [r["status"] for r in deliveries(engine, subscription)] == ["pending"]
    assert delete_subscription(engine, LOCAL_ADMIN, subscription) == {"deliveries_dropped": 1}
    assert deliveries(engine, subscription) == []


def test_a_webhook_url_without_a_usable_secret_is_refused_at_start() -> None:
    check_webhook_settings(Settings(webhook_url=""))
    with pytest.raises(InvalidRequest) as refused:
        check_webhook_settings(Settings(webhook_url="https://hooks.example.com/x"))
    assert refused.value.code == "invalid_webhook_secret" and "whsec_" in refused.value.hint
    with pytest.raises(InvalidRequest):
        check_webhook_settings(
            Settings(webhook_url="https://hooks.example.com/x", webhook_secret="whsec_short")
        )
    check_webhook_settings(
        Settings(webhook_url="https://hooks.example.com/x", webhook_secret=SECRET)
    )
    with pytest.raises(InvalidRequest) as networks:
        check_webhook_settings(Settings(webhook_allowed_networks="10.0.0.0/8 nonsense"))
    assert networks.value.code == "invalid_allowed_networks"
