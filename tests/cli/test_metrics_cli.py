"""The metrics, promises and risk commands, driven as an operator would."""

from __future__ import annotations

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
EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "promises.yaml"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("WARMLINE_DATABASE_URL", url)
    monkeypatch.setenv("WARMLINE_SQLITE_SYNCHRONOUS", "OFF")
    return url


def said(output: str) -> str:
    return " ".join(output.split())


def test_metrics_check_finds_a_drifted_rollup_and_rebuild_puts_it_right(
    env: str, tmp_path: Path
) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    events = [identified(), *conversation("c-1", "chat"), *conversation("c-2", "voice", 60 * 24)]
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    imported = runner.invoke(app, ["import", str(path)])
    assert imported.exit_code == 0, imported.output

    agree = runner.invoke(app, ["metrics", "check"])
    assert agree.exit_code == 0, agree.output
    assert "agree" in agree.output

    engine = make_engine(env)
    r = t.metric_rollups
    with engine.begin() as conn:
        before = conn.execute(sa.select(r).order_by(*r.primary_key.columns)).all()
        assert before, "ingest kept no rollups"
        conn.execute(r.update().where(r.c.grouping == 0).values(contacts=r.c.contacts + 5))

    drifted = runner.invoke(app, ["metrics", "check"])
    assert drifted.exit_code == 1
    assert "differ" in said(drifted.output) and "warmline metrics rebuild" in said(drifted.output)

    rebuilt = runner.invoke(app, ["metrics", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "recomputed" in rebuilt.output
    with engine.connect() as conn:
        assert conn.execute(sa.select(r).order_by(*r.primary_key.columns)).all() == before
    assert runner.invoke(app, ["metrics", "check"]).exit_code == 0

    # A new repeat window: kept for ingest from then on, and the rollups follow it.
    widened = runner.invoke(app, ["metrics", "rebuild", "--window-days", "14"])
    assert widened.exit_code == 0, widened.output
    with engine.connect() as conn:
        window = conn.execute(sa.select(t.metric_state.c.window_days)).scalar_one()
    assert window == 14
    assert runner.invoke(app, ["metrics", "check"]).exit_code == 0
    too_wide = runner.invoke(app, ["metrics", "rebuild", "--window-days", "400"])
    assert too_wide.exit_code == 2

    rescored = runner.invoke(app, ["risk", "refresh"])
    assert rescored.exit_code == 0, rescored.output
    assert "rescored" in rescored.output
    engine.dispose()


def test_promises_check_lists_a_good_file_and_names_a_bad_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WARMLINE_PROMISES_FILE", raising=False)
    unset = runner.invoke(app, ["promises", "check"])
    assert unset.exit_code != 0 and "WARMLINE_PROMISES_FILE" in said(unset.output)

    monkeypatch.setenv("WARMLINE_PROMISES_FILE", str(EXAMPLE))
    good = runner.invoke(app, ["promises", "check"], env={"COLUMNS": "200"})
    assert good.exit_code == 0, good.output
    assert "Email answered within 4 business hours" in good.output

    text = EXAMPLE.read_text()
    negative = tmp_path / "negative.yaml"
    negative.write_text(text.replace("within: 4 business hours", "within: -4 business hours"))
    monkeypatch.setenv("WARMLINE_PROMISES_FILE", str(negative))
    bad = runner.invoke(app, ["promises", "check"], env={"COLUMNS": "200"})
    assert bad.exit_code == 2, bad.output
    assert "within" in said(bad.output)

    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(text.replace("country: GB", "country: XX"))
    monkeypatch.setenv("WARMLINE_PROMISES_FILE", str(unknown))
    bad = runner.invoke(app, ["promises", "check"], env={"COLUMNS": "200"})
    assert bad.exit_code == 2, bad.output
    assert "XX" in said(bad.output)
