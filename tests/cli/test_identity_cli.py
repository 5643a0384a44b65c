"""``warmline identity``: show, train, thresholds and dedupe, driven as an operator would."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from tests.cli.test_cli import env  # noqa: F401  (fixture)
from tests.factories import customer, make_event
from warmline.cli import app
from warmline.storage import schema as t
from warmline.storage.engine import make_engine

runner = CliRunner()
FIRST = ["Amy", "Ben", "Cara", "Dan", "Eve", "Finn", "Gita", "Hugo", "Isla", "Jon", "Kate", "Liam"]
LAST = ["Adams", "Baker", "Clarke", "Dixon", "Evans", "Foster", "Grant", "Hughes", "Irving"]
STREETS = ["Mill Lane", "High Street", "Park Road", "Church Street", "Station Road"]


def people() -> list[dict[str, str]]:
    out = []
    for n, (first, last) in enumerate(itertools.product(FIRST, LAST)):
        out.append(
            {
                "name": f"{first} {last}",
                "date_of_birth": f"19{50 + n % 45}-{1 + n % 12:02d}-{1 + n % 27:02d}",
                "postcode": f"M{1 + n % 9} {n % 9}A{chr(65 + n % 26)}",
                "address": f"{1 + n % 80} {STREETS[n % 5]}",
            }
        )
    return out


def import_file(tmp_path: Path) -> Path:
    """Every person once, and 40 of them again from a branch with a typo and a new email."""
    lines = []
    for n, traits in enumerate(people()):
        ref = customer(("email", f"p{n}@example.org"), **traits)
        lines.append(make_event("customer.identified", id_=f"crm-{n}", customer=ref))
    for n, traits in enumerate(people()[:40]):
        first, last = traits["name"].split()
        typo = {**traits, "name": f"{first} {last[:-2]}{last[-1]}"}  # Adams -> Adas
        ref = customer(("email", f"branch{n}@example.net"), **typo)
        lines.append(make_event("customer.identified", id_=f"branch-{n}", customer=ref))
    path = tmp_path / "people.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines))
    return path


def live_customers(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        count = conn.execute(
            sa.select(sa.func.count()).where(t.customers.c.status == "active")
        ).scalar_one()
    engine.dispose()
    return int(count)


def test_show_train_thresholds_and_dedupe(env: str, tmp_path: Path) -> None:  # noqa: F811
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    shown = runner.invoke(app, ["identity", "show"])
    assert shown.exit_code == 0, shown.output
    assert "the shipped default" in shown.output and "date of birth" in shown.output

    # Strict thresholds while importing: nothing links, the duplicates stay apart.
    strict = ["identity", "thresholds", "--link", "0.9999999999", "--review", "0.9999999998"]
    assert runner.invoke(app, strict).exit_code == 0
    assert runner.invoke(app, ["import", str(import_file(tmp_path))]).exit_code == 0
    assert live_customers(env) == 108 + 40

    trained = runner.invoke(app, ["identity", "train"])
    assert trained.exit_code == 0, trained.output
    assert "trained" in trained.output and "148 records" in trained.output
    # Checked against the model in force on pairs whose truth is known, before it is used.
    assert "check pairs, model trained: precision" in trained.output

    # Back to the usual thresholds: first see what they would change, then dedupe.
    preview = runner.invoke(
        app, ["identity", "thresholds", "--link", "0.999", "--review", "0.5", "--dry-run"]
    )
    assert preview.exit_code == 0, preview.output
    assert "dry run: nothing changed" in preview.output
    rows = {
        cells[0]: cells[1:]
        for line in preview.output.splitlines()
        if len(cells := [c.strip() for c in line.strip("│ ").split("│")]) == 3
    }
    assert set(rows) >= {"link", "review", "new"}
    assert int(rows["link"][1]) == 40 >= int(rows["link"][0])  # proposed vs in force
    assert (
        runner.invoke(
            app, ["identity", "thresholds", "--link", "0.999", "--review", "0.5"]
        ).exit_code
        == 0
    )

    dry = runner.invoke(app, ["identity", "dedupe", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "40 would be merged" in dry.output
    assert live_customers(env) == 148  # a dry run changes nothing

    done = runner.invoke(app, ["identity", "dedupe"])
    assert done.exit_code == 0, done.output
    assert "40 were merged" in done.output
    assert live_customers(env) == 108
    again = runner.invoke(app, ["identity", "dedupe"])
    assert "0 were merged" in again.output and "already one customer" in again.output


def test_training_on_too_little_data_keeps_the_model(env: str) -> None:  # noqa: F811
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["identity", "train"])
    assert result.exit_code == 2
    assert "at least 100 records" in result.output


def test_thresholds_must_make_sense(env: str) -> None:  # noqa: F811
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["identity", "thresholds", "--link", "0.4", "--review", "0.9"])
    assert result.exit_code == 2
    assert "review <= link" in result.output
