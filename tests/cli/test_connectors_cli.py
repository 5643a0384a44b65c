"""``warmline connectors``: create (the secret printed once), list, gaps, rotate, revoke,
driven as an admin would, with deliveries through the app in between."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.connector_payloads import chatwoot_contact, chatwoot_conversation, chatwoot_message
from warmline.app import create_app
from warmline.cli import app
from warmline.config import Settings
from warmline.storage.engine import make_engine

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'connectors.db'}"
    monkeypatch.setenv("WARMLINE_DATABASE_URL", url)
    monkeypatch.setenv("WARMLINE_SQLITE_SYNCHRONOUS", "OFF")
    monkeypatch.setenv("WARMLINE_INSIGHT", "false")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    return url


def test_an_admin_manages_a_connector_from_the_command_line(url: str) -> None:
    made = runner.invoke(app, ["connectors", "create", "--kind", "chatwoot", "--account", "7",
                               "--inbox", "3=sms"])  # fmt: skip
    assert made.exit_code == 0, made.output
    secret = re.search(r"^(wlc_\S+)$", made.output, re.M)
    assert secret and "?secret=" in made.output
    connector_id = re.search(r"(con_[0-9a-f]+)", made.output)
    assert connector_id
    cid = connector_id.group(1)
    twice = runner.invoke(app, ["connectors", "create", "--kind", "chatwoot", "--account", "7"])
    assert twice.exit_code == 2 and "exists" in twice.output and "rotate" in twice.output
    bad = runner.invoke(app, ["connectors", "create", "--kind", "chatwoot", "--account", "7",
                              "--inbox", "3"])  # fmt: skip
    assert bad.exit_code != 0 and "ID=CHANNEL" in bad.output

    assert "no gaps" in runner.invoke(app, ["connectors", "gaps", cid]).output
    settings = Settings(database_url=url, sqlite_synchronous="OFF", insight=False)
    with TestClient(create_app(settings, make_engine(url))) as client:
        odd = chatwoot_message(
            31, "hello", conversation=chatwoot_conversation(
                meta={"sender": chatwoot_contact(email="not an email")}),
        )  # fmt: skip
        path = f"/v1/connectors/chatwoot/7?secret={secret.group(1)}"
        assert client.post(path, json=odd).status_code == 200
        rotated = runner.invoke(app, ["connectors", "rotate", cid])
        assert rotated.exit_code == 0 and secret.group(1) not in rotated.output
        assert client.post(path, json=odd).json()["code"] == "invalid_connector_secret"

    listed = runner.invoke(app, ["connectors", "list"], env={"COLUMNS": "200"})
    assert cid in listed.output and "chatwoot/7" in listed.output
    assert "wlc_" not in listed.output  # never a secret
    gaps = runner.invoke(app, ["connectors", "gaps", cid], env={"COLUMNS": "200"})
    assert "invalid_identifier" in gaps.output and "message/31" in gaps.output
    assert "not an email" not in gaps.output
    revoked = runner.invoke(app, ["connectors", "revoke", cid])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    again = runner.invoke(app, ["connectors", "revoke", cid])
    assert again.exit_code == 2 and "no active connector" in again.output
    unknown = runner.invoke(app, ["connectors", "gaps", "con_nope"])
    assert unknown.exit_code == 2 and "no connector" in unknown.output
