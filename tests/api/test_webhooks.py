"""customer.at_risk webhooks out of the outbox: signed as Standard Webhooks (checked with the
reference library), retried with backoff when the endpoint answers 500 or times out, and
dead-lettered after the last attempt."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from warmline.actions.outbox import enqueue
from warmline.actions.webhooks import MAX_ATTEMPTS, deliver_due, outbox_summary, retry_dead
from warmline.config import Settings
from warmline.errors import InvalidRequest
from warmline.serving.background import check_webhook_settings
from warmline.storage import schema as t
from warmline.storage.engine import writing

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NOW = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)


@dataclass
class Receiver:
    """A local endpoint that answers what it is told to, in turn."""

    answers: list[int | str] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            got.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            answer = got.answers.pop(0) if got.answers else 204
            if answer == "slow":
                time.sleep(1.5)
                answer = 204
            self.send_response(int(answer))
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    got.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield got
    server.shutdown()
    server.server_close()
    thread.join()


def event(engine: Engine) -> str:
    with writing(engine) as conn, conn.begin():
        return enqueue(
            conn,
            "customer.at_risk",
            {"customer_id": "cus_1", "score": 72},
            now=NOW,
            customer_id="cus_1",
        )


def status(engine: Engine, message_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = (
            conn.execute(sa.select(t.outbox).where(t.outbox.c.message_id == message_id))
            .mappings()
            .one()
        )
    return dict(row)


def test_a_delivered_webhook_is_signed_as_standard_webhooks_say(
    engine: Engine, receiver: Receiver
) -> None:
    message_id = event(engine)
    done = deliver_due(engine, url=receiver.url, secret=SECRET, now=NOW)
    assert done.delivered == [message_id]
    headers, body = receiver.received[0]
    assert headers["webhook-id"] == message_id
    payload = Webhook(SECRET).verify(body, headers)
    assert payload["type"] == "customer.at_risk" and payload["data"] == {
        "customer_id": "cus_1",
        "score": 72,
    }
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(body, headers)
    assert status(engine, message_id)["status"] == "delivered"
    assert deliver_due(engine, url=receiver.url, secret=SECRET, now=NOW).delivered == []


def test_500_and_timeouts_are_retried_with_backoff_then_dead_lettered(
    engine: Engine, receiver: Receiver
) -> None:
    message_id = event(engine)
    receiver.answers = [500, "slow"]
    first = deliver_due(engine, url=receiver.url, secret=SECRET, now=NOW)
    assert first.retrying == [message_id]
    row = status(engine, message_id)
    assert (row["attempts"], row["last_error"], row["next_attempt_at"]) == (
        1,
        "HTTP 500",
        NOW + dt.timedelta(seconds=30),
    )
    assert (
        deliver_due(
            engine, url=receiver.url, secret=SECRET, now=NOW + dt.timedelta(seconds=10)
        ).retrying
        == []
    )
    later = NOW + dt.timedelta(seconds=30)
    assert deliver_due(
        engine, url=receiver.url, secret=SECRET, timeout=0.5, now=later
    ).retrying == [message_id]
    row = status(engine, message_id)
    assert row["last_error"].startswith("no answer") and row[
        "next_attempt_at"
    ] == later + dt.timedelta(minutes=1)
    receiver.answers = [500] * MAX_ATTEMPTS
    when = later
    for _ in range(MAX_ATTEMPTS - 2):
        when += dt.timedelta(hours=7)
        deliver_due(engine, url=receiver.url, secret=SECRET, now=when)
    assert status(engine, message_id)["status"] == "dead"
    assert outbox_summary(engine)["dead"][0]["message_id"] == message_id
    retry_dead(engine, message_id, now=when)
    receiver.answers = []
    assert deliver_due(engine, url=receiver.url, secret=SECRET, now=when).delivered == [message_id]


def test_a_webhook_url_without_a_usable_secret_is_refused_at_start() -> None:
    check_webhook_settings(Settings(webhook_url=""))
    for secret in (None, "not-a-secret", "whsec_c2hvcnQ="):
        with pytest.raises(InvalidRequest, match="WARMLINE_WEBHOOK_SECRET"):
            check_webhook_settings(
                Settings(webhook_url="http://127.0.0.1:9/x", webhook_secret=secret)
            )
