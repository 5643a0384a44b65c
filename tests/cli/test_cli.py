"""The command line, driven as a user would: upgrade, keys, import, rebuild."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.factories import conversation, identified
from warmline.cli import app
from warmline.storage import schema as t
from warmline.storage.engine import make_engine

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("WARMLINE_DATABASE_URL", url)
    monkeypatch.setenv("WARMLINE_SQLITE_SYNCHRONOUS", "OFF")
    return url


def test_every_command_has_help() -> None:
    for args in (
        ["--help"],
        ["db", "upgrade", "--help"],
        ["keys", "create", "--help"],
        ["import", "--help"],
        ["rebuild", "--help"],
        ["serve", "--help"],
        ["demo", "--help"],
        ["identity", "train", "--help"],
        ["identity", "dedupe", "--help"],
        ["identity", "thresholds", "--help"],
        ["identity", "show", "--help"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.output


def test_commands_need_an_upgraded_database(env: str) -> None:
    result = runner.invoke(app, ["keys", "create", "--role", "agent", "--name", "dave"])
    assert result.exit_code == 2
    assert "warmline db upgrade" in result.output


def test_upgrade_keys_import_rebuild(env: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(app, ["keys", "create", "--role", "integrator", "--name", "crm-sync"])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert key.startswith("wl_")
    bad_role = runner.invoke(app, ["keys", "create", "--role", "wizard", "--name", "x"])
    assert bad_role.exit_code == 2

    lines = [json.dumps(e) for e in [identified(), *conversation("chat-1")]]
    lines.insert(2, "{not json")
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 1  # one bad line
    assert "line 3" in result.output and "invalid_json" in result.output
    again = runner.invoke(app, ["import", str(path)])
    assert "5" in again.output  # the five good events are now duplicates

    engine = make_engine(env)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.messages)).scalar_one() == 2
    rebuilt = runner.invoke(app, ["rebuild"])
    assert rebuilt.exit_code == 0 and "5 events" in rebuilt.output
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.messages)).scalar_one() == 2


def test_demo_prepares_the_database_and_prints_a_key(env: str) -> None:
    result = runner.invoke(app, ["demo", "--no-serve", "--customers", "10"])
    assert result.exit_code == 0, result.output
    assert "wl_" in result.output and "http://127.0.0.1:8000/desk" in result.output
    engine = make_engine(env)

    def miles_chats() -> int:
        i = t.interactions
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(i)
                    .where(i.c.external_id.like("app-chat-miles-today-%"))
                ).scalar_one()
            )

    assert miles_chats() == 1
    # Run again at once: the stories are not played twice into the continuity window.
    again = runner.invoke(app, ["demo", "--no-serve"])
    assert again.exit_code == 0, again.output
    assert "not played again" in again.output and "wl_" in again.output
    assert miles_chats() == 1
    # Played an hour ago: they are played as today's again.
    hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with engine.begin() as conn:
        r = t.raw_events
        conn.execute(
            r.update().where(r.c.event_id.like("demo-cast-%")).values(received_at=hour_ago)
        )
    later = runner.invoke(app, ["demo", "--no-serve"])
    assert "today's stories; the history was seeded before" in later.output, later.output
    engine.dispose()


def test_simulate_says_when_the_server_is_not_there(env: str) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["simulate", "--url", "http://127.0.0.1:9", "--contacts", "1"])
    assert result.exit_code == 2
    assert "did not take the contact" in result.output and "warmline serve" in result.output


def test_simulate_needs_a_key_without_a_local_memory(env: str) -> None:
    result = runner.invoke(app, ["simulate", "--contacts", "1"])
    assert result.exit_code == 2 and "WARMLINE_KEY" in result.output


def test_audit_verify(env: str) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0 and "0 entries" in result.output


def test_retention_run(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    monkeypatch.setenv("WARMLINE_RETENTION_DAYS", '{"messages": 365, "desk_pushes": 30}')
    result = runner.invoke(app, ["retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "messages" in result.output and "would remove" in result.output


def test_reasons_show_names_a_broken_encoder_and_what_to_do(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warmline.models import (
        reason_encoder as second_opinion,
    )
    from warmline.models import (
        reason_encoder_build as encoder_build,
    )
    from warmline.models.reasons import default_reason_model
    from warmline.storage import insight_config

    # Models are parsed once per process: each invocation here starts from none.
    monkeypatch.setattr(insight_config, "_parsed", {})
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    shown = runner.invoke(app, ["reasons", "show"])
    assert shown.exit_code == 0 and "second opinion" in shown.output
    monkeypatch.setattr(insight_config, "_parsed", {})
    monkeypatch.setattr(encoder_build, "base_sha256", lambda: "0" * 64)  # another MiniLM file
    second_opinion.shipped_second_opinion.cache_clear()
    default_reason_model.cache_clear()
    try:
        result = runner.invoke(app, ["reasons", "show"])
    finally:
        second_opinion.shipped_second_opinion.cache_clear()
        default_reason_model.cache_clear()
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert "is not the MiniLM file the reason encoder was trained on" in said
    assert "pip install" in said


def test_serve_refuses_to_start_when_the_reason_encoder_cannot_be_rebuilt(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warmline.models import reason_encoder_build as encoder_build

    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    monkeypatch.setattr(encoder_build, "base_sha256", lambda: "0" * 64)  # another MiniLM file
    result = runner.invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert "is not the MiniLM file the reason encoder was trained on" in said
    assert "pip install" in said
