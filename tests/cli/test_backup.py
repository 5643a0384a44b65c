"""``warmline backup`` and ``warmline restore``: a live SQLite memory copied while it is
written, restored whole, with the same counts."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.factories import conversation, identified
from warmline.actions.ingest import ingest_events
from warmline.cli import app
from warmline.storage import schema as t
from warmline.storage.engine import make_engine
from warmline.storage.migrate import upgrade

runner = CliRunner()
COUNTED = (t.raw_events, t.customers, t.interactions, t.messages, t.audit_log)


def words(output: str) -> str:
    """What a command said, its lines joined (Rich wraps at the terminal's width)."""
    return " ".join(output.split())


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                for table in COUNTED
            }
    finally:
        engine.dispose()


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    monkeypatch.setenv("WARMLINE_DATABASE_URL", url)
    engine = make_engine(url)
    upgrade(engine)
    ingest_events(engine, [identified(), *conversation("before")], insight=False)
    engine.dispose()
    return url


def test_backup_of_a_memory_being_written_is_whole_and_restores_with_the_same_counts(
    live: str, tmp_path: Path
) -> None:
    engine = make_engine(live)
    stop = threading.Event()
    written = [0]

    def keep_writing() -> None:
        while not stop.is_set():
            n = written[0]
            ingest_events(engine, conversation(f"during-{n}"), insight=False)
            written[0] += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while written[0] < 3:  # the backup starts while batches are being committed
            stop.wait(0.01)
        target = tmp_path / "backup.db"
        result = runner.invoke(app, ["backup", str(target)])
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert "backed up to" in words(result.output)
    backup_url = f"sqlite:///{target}"
    saved = counts(backup_url)
    # One committed state: whole conversations only (4 events, 2 messages each), never a
    # batch half in.
    assert saved["raw_events"] >= 5 + 4 * 3 and (saved["raw_events"] - 1) % 4 == 0
    assert saved["messages"] == 2 * saved["interactions"]
    assert not (tmp_path / "backup.db.partial").exists()

    # More is written after the backup; restoring brings the memory back to the backup.
    ingest_events(engine, conversation("after"), insight=False)
    engine.dispose()
    assert counts(live) != saved
    result = runner.invoke(app, ["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert counts(live) == saved
    # The restored memory is in use again: it takes new events.
    engine = make_engine(live)
    outcome = ingest_events(engine, conversation("after-restore"), insight=False)
    assert outcome.count("accepted") == 4
    engine.dispose()


def test_backup_never_overwrites_and_restore_refuses_what_is_not_a_backup(
    live: str, tmp_path: Path
) -> None:
    existing = tmp_path / "exists.db"
    existing.write_text("keep me")
    result = runner.invoke(app, ["backup", str(existing)])
    assert result.exit_code == 2 and "already exists" in words(result.output)
    assert existing.read_text() == "keep me"

    before = counts(live)
    result = runner.invoke(app, ["restore", str(existing), "--yes"])
    assert result.exit_code == 2 and "not a Warmline" in words(result.output)
    result = runner.invoke(app, ["restore", str(tmp_path / "missing.db"), "--yes"])
    assert result.exit_code == 2 and "no backup file" in words(result.output)
    assert counts(live) == before


def test_restore_asks_before_replacing(live: str, tmp_path: Path) -> None:
    target = tmp_path / "b.db"
    assert runner.invoke(app, ["backup", str(target)]).exit_code == 0
    result = runner.invoke(app, ["restore", str(target)], input="n\n")
    assert result.exit_code == 1 and "replace the memory" in words(result.output)


def test_postgresql_is_told_to_use_pg_dump(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARMLINE_DATABASE_URL", "postgresql://warmline@127.0.0.1:1/warmline")
    result = runner.invoke(app, ["backup", str(tmp_path / "pg.db")])
    assert result.exit_code == 2
    assert "pg_dump" in words(result.output)
