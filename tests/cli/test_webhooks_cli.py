"""``warmline webhooks``: subscribe (the secret printed once), subscriptions, deliver to a
local receiver that fails, list the dead letter, replay it, rotate, unsubscribe."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from standardwebhooks import Webhook
from typer.testing import CliRunner

from tests.webhook_receiver import Receiver, receiving
from warmline.actions import signing
from warmline.actions.outbox import enqueue
from warmline.actions.webhooks import MAX_ATTEMPTS, WebhookConfig, deliver_due
from warmline.cli import app
from warmline.domain.webhooks import parse_networks
from warmline.storage.engine import make_engine, writing

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    signing.forget_keys()
    url = f"sqlite:///{tmp_path / 'webhooks.db'}"
    monkeypatch.setenv("WARMLINE_DATABASE_URL", url)
    monkeypatch.setenv("WARMLINE_SQLITE_SYNCHRONOUS", "OFF")
    monkeypatch.setenv("WARMLINE_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    yield url
    signing.forget_keys()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as got:
        yield got


def test_an_admin_manages_webhooks_from_the_command_line(url: str, receiver: Receiver) -> None:
    made = runner.invoke(
        app, ["webhooks", "subscribe", receiver.url, "--event", "merge.created",
              "--description", "CRM"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    secret = re.search(r"^(whsec_\S+)$", made.output, re.M)
    subscription = re.search(r"(whs_[0-9a-f]+)", made.output)
    assert secret and subscription
    sid = subscription.group(1)
    listed = runner.invoke(app, ["webhooks", "subscriptions"], env={"COLUMNS": "250"})
    assert sid in listed.output and "merge.created" in listed.output
    assert secret.group(1) not in listed.output
    wrong = runner.invoke(app, ["webhooks", "subscribe", receiver.url, "--event", "nope"])
    assert wrong.exit_code != 0 and "no such event type: nope" in wrong.output

    engine = make_engine(url)
    with writing(engine) as conn, conn.begin():
        enqueue(conn, "merge.created", {"merge_id": "mrg_1"}, now=dt.datetime.now(dt.UTC))
    receiver.answers = [500] * MAX_ATTEMPTS
    config = WebhookConfig(allowed=parse_networks("127.0.0.0/8"))
    when = dt.datetime.now(dt.UTC)
    for _ in range(MAX_ATTEMPTS):
        deliver_due(engine, config, now=when)
        when += dt.timedelta(hours=7)
    dead = runner.invoke(app, ["webhooks", "list"], env={"COLUMNS": "250"})
    assert "dead: 1" in dead.output and "HTTP 500" in dead.output and sid in dead.output
    replayed = runner.invoke(app, ["webhooks", "replay", "--subscription", sid])
    assert replayed.exit_code == 0 and "1 dead letter(s)" in replayed.output
    sent = runner.invoke(app, ["webhooks", "deliver"])
    assert sent.exit_code == 0 and "delivered 1" in sent.output, sent.output
    headers, body = receiver.received[-1]
    Webhook(secret.group(1)).verify(body, headers)
    nothing = runner.invoke(app, ["webhooks", "replay", "1"])
    assert nothing.exit_code != 0 and "no dead letter matches" in nothing.output

    rotated = runner.invoke(app, ["webhooks", "rotate", sid])
    assert rotated.exit_code == 0 and secret.group(1) not in rotated.output
    assert re.search(r"^whsec_\S+$", rotated.output, re.M)
    gone = runner.invoke(app, ["webhooks", "unsubscribe", sid])
    assert gone.exit_code == 0 and "deleted" in gone.output
    assert "no subscriptions" in runner.invoke(app, ["webhooks", "subscriptions"]).output
    engine.dispose()
