"""``warmline branches check|load``, the demo's branches, and a branches file loaded when the
server starts: every problem named with where it is, nothing stored from a wrong file."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.cli.test_cli import env  # noqa: F401  (fixture)
from warmline.app import create_app
from warmline.cli import app
from warmline.config import Settings
from warmline.demo.branches import BRANCHES_FILE
from warmline.errors import InvalidRequest
from warmline.storage import schema as t
from warmline.storage.engine import make_engine

runner = CliRunner()

WRONG = """branches:
  - code: soho
    name: Soho
    timezone: Mars/Olympus
    services:
      - {code: everyday, name: Everyday, letter: A, minutes: 6}
    service_points:
      - {code: counter-1, name: Counter 1, services: [everyday, mortgages]}
    staff: [dave]
"""


def branch_codes(url: str) -> list[str]:
    with make_engine(url).connect() as conn:
        return sorted(conn.execute(sa.select(t.branches.c.code)).scalars())


def table_row(output: str) -> list[str]:
    """The one row of the load's table (added, changed, unchanged)."""
    row = next(line for line in output.splitlines() if line.startswith("│"))
    return [cell.strip() for cell in row.strip("│").split("│")]


def test_check_names_every_problem_and_load_stores_nothing_from_a_wrong_file(
    env: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(WRONG)
    checked = runner.invoke(app, ["branches", "check", str(wrong)])
    assert checked.exit_code == 1
    said = " ".join(checked.output.split())
    assert "timezone" in said and "Mars/Olympus" in said
    assert "mortgages" in said  # a service point naming a service the branch lacks
    loaded = runner.invoke(app, ["branches", "load", str(wrong)])
    assert loaded.exit_code != 0
    assert "branches check" in " ".join(loaded.output.split())
    assert branch_codes(env) == []

    good = runner.invoke(app, ["branches", "check", str(BRANCHES_FILE)])
    assert good.exit_code == 0, good.output
    assert "soho: Soho, 2 services, Counter 1, Counter 2, Mortgage desk" in good.output
    first = runner.invoke(app, ["branches", "load", str(BRANCHES_FILE)])
    assert first.exit_code == 0, first.output
    assert table_row(first.output) == ["soho, leeds", "-", "-"]  # added, changed, unchanged
    assert branch_codes(env) == ["leeds", "soho"]
    again = runner.invoke(app, ["branches", "load", str(BRANCHES_FILE)])
    assert again.exit_code == 0
    assert table_row(again.output) == ["-", "-", "soho, leeds"]


def test_the_server_loads_its_branches_file_at_start_and_refuses_a_wrong_one(
    env: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(WRONG)
    with pytest.raises(InvalidRequest) as refused:
        create_app(Settings(database_url=env, branches_file=str(wrong), insight=False))
    assert refused.value.code == "invalid_branches_file"
    assert "Mars/Olympus" in refused.value.message
    assert branch_codes(env) == []
    create_app(Settings(database_url=env, branches_file=str(BRANCHES_FILE), insight=False))
    assert branch_codes(env) == ["leeds", "soho"]


def test_the_demo_sets_up_its_branches(env: str) -> None:  # noqa: F811
    result = runner.invoke(app, ["demo", "--no-serve", "--customers", "5"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "branches: soho, leeds" in said
    assert "/branch" in said
    assert branch_codes(env) == ["leeds", "soho"]
