"""The command line, driven as a user would: upgrade, keys, import, rebuild."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from fastapi.testclient import TestClient
from typer.core import TyperGroup
from typer.testing import CliRunner

import warmline
from tests.factories import conversation, customer, identified
from warmline.app import create_app
from warmline.cli import app
from warmline.config import Settings
from warmline.storage import schema as t
from warmline.storage.engine import make_engine

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("WARMLINE_DATABASE_URL", url)
    monkeypatch.setenv("WARMLINE_SQLITE_SYNCHRONOUS", "OFF")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # the simulator's key file
    return url


def command_paths(group: TyperGroup, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group under ``group``, as the words typed to reach it."""
    found = [path]
    for name, command in group.commands.items():
        if isinstance(command, TyperGroup):
            found.extend(command_paths(command, (*path, name)))
        else:
            found.append((*path, name))
    return found


def test_every_command_has_help() -> None:
    root = typer.main.get_group(app)
    paths = command_paths(root)
    assert ("identity", "dedupe") in paths and ("keys", "list") in paths  # the walk reaches
    assert len(paths) > 20
    for path in paths:
        # A terminal wide enough that only the help text's own line breaks can break a line.
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "400"})
        assert result.exit_code == 0, (path, result.output)
        assert "Usage" in result.output
        summary = result.output.split("Usage", 1)[1]
        assert len(summary.split()) > 4, (path, "has no help text")
        # The description, between the usage line and the first panel: every paragraph on
        # one line, a whole sentence (a break mid-sentence would leave a line unfinished).
        description = summary.split("\n", 1)[1].split("╭", 1)[0]
        paragraphs = [line.strip() for line in description.splitlines() if line.strip()]
        assert paragraphs, (path, "has no description")
        for paragraph in paragraphs:
            assert paragraph.endswith("."), (path, paragraph)
        command = root
        for word in path:
            command = command.commands[word]  # type: ignore[attr-defined]
        for param in command.params:
            if isinstance(param, typer.core.TyperOption | typer.core.TyperArgument):
                text = param.help or ""
                assert text.endswith(".") and "\n" not in text, (path, param.name, text)


def test_version_is_the_installed_one() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"warmline {warmline.__version__}"


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
    counts = import_counts(again.output)
    assert counts == {"accepted": 0, "pending": 0, "duplicates": 5, "rejected": 1, "warned": 0}

    engine = make_engine(env)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.messages)).scalar_one() == 2
    rebuilt = runner.invoke(app, ["rebuild"])
    assert rebuilt.exit_code == 0 and "5 events" in rebuilt.output
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.messages)).scalar_one() == 2


def test_import_stores_a_line_with_a_bad_field_and_says_so(env: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    bad_phone = customer(("phone", "call me at work"), name="Ann Lee", date_of_birth="1984-03-02")
    lines = [json.dumps(e) for e in [identified(), identified(bad_phone)]]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 0, result.output  # stored: a warning, not a failure
    counts = import_counts(result.output)
    assert counts == {"accepted": 2, "pending": 0, "duplicates": 0, "rejected": 0, "warned": 1}
    assert "line 2: warning: /data/customer/identifiers/0:" in result.output
    assert "[invalid_identifier]" in result.output
    engine = make_engine(env)
    with engine.connect() as conn:
        names = conn.execute(sa.select(t.customers.c.name)).scalars().all()
    assert "Ann Lee" in names


def import_counts(output: str, first: str = "accepted") -> dict[str, int]:
    """The counts row of an import's table, by its column headings (``first`` is the
    first heading)."""
    lines = output.splitlines()
    heading = next(i for i, line in enumerate(lines) if first in line)
    names = re.findall(r"[a-z]+(?: [a-z]+)*", lines[heading])
    row = next(line for line in lines[heading + 1 :] if re.search(r"\d", line))
    return dict(zip(names, map(int, re.findall(r"\d+", row)), strict=True))


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
    said = " ".join(result.output.split())
    assert "held-out accuracy" in said and "templates" in said  # and why it is that high
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


def key_rows(output: str) -> dict[str, list[str]]:
    """``warmline keys list``'s rows by key id, cells split on the table's column gaps."""
    return {
        cells[0]: cells
        for line in output.splitlines()
        if (cells := re.split(r"\s{2,}", line.strip()))[0].startswith("key_")
    }


def test_keys_list_shows_every_key_and_when_it_was_last_used(env: str) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    empty = runner.invoke(app, ["keys", "list"])
    assert empty.exit_code == 0 and "no keys yet" in empty.output
    made = {}
    for args in (
        ["--role", "agent", "--name", "dave"],
        ["--role", "admin", "--name", "eve", "--expires-in-days", "30"],
        ["--role", "integrator", "--name", "crm-sync"],
    ):
        created = runner.invoke(app, ["keys", "create", *args])
        assert created.exit_code == 0, created.output
        key_id = re.search(r"key_[0-9a-f]{16}", created.output)
        assert key_id is not None
        made[args[3]] = (key_id.group(0), created.output.strip().splitlines()[-1])
    assert runner.invoke(app, ["keys", "revoke", made["crm-sync"][0]]).exit_code == 0

    engine = make_engine(env)
    settings = Settings(database_url=env, sqlite_synchronous="OFF", insight=False)
    with TestClient(create_app(settings, engine)) as client:
        dave = {"Authorization": f"Bearer {made['dave'][1]}"}
        assert client.get("/v1/customers", params={"q": "x"}, headers=dave).status_code == 200

    listed = runner.invoke(app, ["keys", "list"])
    assert listed.exit_code == 0, listed.output
    for _, secret in made.values():
        assert secret not in listed.output and secret[:10] not in listed.output
    rows = key_rows(listed.output)
    heading = next(line for line in listed.output.splitlines() if "last used" in line)
    assert re.split(r"\s{2,}", heading.strip()) == [
        "id", "name", "role", "created", "last used", "expires", "revoked"
    ]  # fmt: skip
    today = f"{dt.datetime.now(dt.UTC):%Y-%m-%d}"
    dave_row, eve_row, sync_row = (rows[made[n][0]] for n in ("dave", "eve", "crm-sync"))
    assert dave_row[1:3] == ["dave", "agent"] and dave_row[4].startswith(today)
    assert dave_row[5:] == ["never", "no"]
    assert eve_row[1:3] == ["eve", "admin"] and eve_row[4] == "never"
    in_30_days = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    assert eve_row[5].startswith(f"{in_30_days:%Y-%m-%d}")
    assert sync_row[2] == "integrator" and sync_row[6].startswith(today)
    engine.dispose()


def test_last_used_is_written_at_most_once_a_minute(env: str) -> None:
    from warmline.actions.keys import authenticate, create_key

    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    engine = make_engine(env)
    actor, key = create_key(engine, role="agent", name="dave")

    def last_used() -> dt.datetime | None:
        k = t.api_keys
        with engine.connect() as conn:
            at = conn.execute(sa.select(k.c.last_used_at).where(k.c.id == actor.key_id))
            return at.scalar_one()  # type: ignore[no-any-return]

    assert last_used() is None
    assert authenticate(engine, key) is not None
    first = last_used()
    assert first is not None
    assert authenticate(engine, key) is not None
    assert last_used() == first  # used again within the minute: nothing written
    two_minutes_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
    with engine.begin() as conn:
        conn.execute(t.api_keys.update().values(last_used_at=two_minutes_ago))
    assert authenticate(engine, key) is not None
    again = last_used()
    assert again is not None and again > two_minutes_ago
    engine.dispose()


def busy_port() -> socket.socket:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    return listener


def test_serve_and_demo_say_when_the_port_is_busy(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARMLINE_INSIGHT", "false")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    with busy_port() as listener:
        port = listener.getsockname()[1]
        served = runner.invoke(app, ["serve", "--port", str(port)])
        monkeypatch.setenv("WARMLINE_PORT", str(port))
        demo = runner.invoke(app, ["demo", "--customers", "0"])
    for result in (served, demo):
        assert result.exit_code == 2, result.output
        said = " ".join(result.output.split())  # the console wraps long lines
        assert f"port {port} on 127.0.0.1 is already in use" in said
        assert "--port" in said and "WARMLINE_PORT" in said
        assert "http://" not in said  # no URL that would lead to the other program
    assert "demo key" not in demo.output  # nothing was prepared either


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
    from warmline.models import reason_encoder, reason_encoder_build
    from warmline.models.reasons import default_reason_model

    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    shown = runner.invoke(app, ["reasons", "show"])
    assert shown.exit_code == 0 and "second opinion" in shown.output
    # As if another MiniLM file were installed: its hash is not the one trained on. The
    # models are loaded once per process, so this process forgets them first.
    monkeypatch.setattr(reason_encoder_build, "base_sha256", lambda: "0" * 64)
    reason_encoder.shipped_second_opinion.cache_clear()
    default_reason_model.cache_clear()
    try:
        result = runner.invoke(app, ["reasons", "show"])
    finally:
        reason_encoder.shipped_second_opinion.cache_clear()
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


def test_insight_refine_reads_again_what_ingest_was_unsure_of(env: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    lines = [identified(), *conversation("unsure-1"), *conversation("unsure-2")]
    lines[6]["data"]["text"] = "hmm ok then"
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in lines) + "\n")
    assert runner.invoke(app, ["import", str(path)]).exit_code == 0
    engine = make_engine(env)

    def due() -> int:
        with engine.connect() as conn:
            flagged = t.messages.c.refine_due.is_(True)
            return int(conn.execute(sa.select(sa.func.count()).where(flagged)).scalar_one())

    unsure = due()
    assert unsure >= 1  # "hmm ok then" says little either way
    result = runner.invoke(app, ["insight", "refine"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"refined {unsure} message" in result.output and "none is due" in result.output
    assert due() == 0
    with engine.connect() as conn:
        readings = conn.execute(
            sa.select(t.messages.c.text, t.messages.c.insight).where(
                t.messages.c.speaker == "customer"
            )
        ).all()
    hmm = next(insight for text, insight in readings if text == "hmm ok then")
    assert hmm["reading"] == "refined" and hmm["unsure"]
    assert hmm["label"] in {"negative", "neutral", "positive"}
    engine.dispose()


def test_insight_refine_says_when_there_is_no_encoder_to_refine_with(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warmline.models import feelings_encoder

    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    # An installation whose model files were left out: the command says so and what to do.
    monkeypatch.setattr(feelings_encoder, "feelings_encoder_installed", lambda: False)
    result = runner.invoke(app, ["insight", "refine"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "no feelings encoder is installed" in result.output
