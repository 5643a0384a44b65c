"""GET /v1/promises: service promises against delivery, the worst misses with their
customers, and a promises file whose mistakes are named."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.helpers import post
from tests.factories import Keys, customer, make_event
from warmline.actions.desk_sessions import sign_in
from warmline.app import create_app
from warmline.config import Settings

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "promises.yaml"
# Monday 30 November 2026, 10:00 London (= UTC in winter).
MONDAY = dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC)


@pytest.fixture
def promised(
    settings: Settings, engine: Engine, tmp_path: Path
) -> Iterator[tuple[TestClient, Path]]:
    path = tmp_path / "promises.yaml"
    path.write_text(EXAMPLE.read_text())
    with TestClient(
        create_app(settings.model_copy(update={"promises_file": str(path)}), engine)
    ) as client:
        yield client, path


def email(n: int, asked: dt.datetime, replied: dt.datetime | None) -> list[dict[str, Any]]:
    who = customer(("email", f"e{n}@example.org", True), name=f"Emma {n}")
    iid = f"mail-{n}"
    events = [
        make_event(
            "interaction.started",
            customer=who,
            interaction_id=iid,
            channel="email",
            time=asked.isoformat(),
        ),
        make_event(
            "message.posted",
            interaction_id=iid,
            speaker="customer",
            text="Where is my card?",
            time=asked.isoformat(),
        ),
    ]
    if replied:
        events.append(
            make_event(
                "message.posted",
                interaction_id=iid,
                speaker="agent",
                text="On its way.",
                time=replied.isoformat(),
            )
        )
    return events


def test_promises_met_missed_and_pending_with_the_worst_misses(
    promised: tuple[TestClient, Path], keys: Keys
) -> None:
    client, _ = promised
    h = dt.timedelta(hours=1)
    post(
        client,
        keys.integrator,
        [
            *email(1, MONDAY, MONDAY + 2 * h),  # met
            *email(2, MONDAY, MONDAY + 9 * h),  # 19:00: missed (due 14:00)
            *email(3, MONDAY - 7 * 24 * h, None),  # a week ago, never answered: missed
        ],
    )
    body = client.get(
        "/v1/promises",
        params={"from": "2026-11-20", "to": "2026-11-30", "period": "week"},
        headers=keys.supervisor,
    ).json()
    assert body["configured"] is True
    mail = next(
        p for p in body["promises"] if p["name"] == "Email answered within 4 business hours"
    )
    assert mail["within"] == "4 business hours"
    assert mail["total"]["met"] == 1 and mail["total"]["missed"] == 2
    assert mail["total"]["kept_rate"] == round(1 / 3, 4)
    worst = mail["worst_misses"]
    assert [w["customer_name"] for w in worst] == ["Emma 3", "Emma 2"]  # the latest first
    assert worst[1]["late_by_hours"] == 5.0
    assert [p["bucket"] for p in mail["points"]] == ["2026-11-16", "2026-11-23", "2026-11-30"]
    audit = client.get(
        "/v1/audit", params={"action": "promises.viewed"}, headers=keys.auditor
    ).json()
    assert len(audit["entries"][0]["detail"]["customers"]) == 2


def test_a_bad_promises_file_names_the_field_and_the_fix(
    promised: tuple[TestClient, Path], keys: Keys
) -> None:
    client, path = promised
    path.write_text(
        EXAMPLE.read_text().replace("within: 4 business hours", "within: -4 business hours")
    )
    body = client.get("/v1/promises", headers=keys.supervisor)
    assert body.status_code == 503
    problem = body.json()
    assert problem["code"] == "invalid_promises_file"
    assert str(path) in problem["detail"] and "promises[0].within" in problem["detail"]
    assert "positive" in problem["hint"]
    path.write_text(EXAMPLE.read_text().replace("country: GB", "country: XX"))
    problem = client.get("/v1/promises", headers=keys.supervisor).json()
    assert "calendar.country" in problem["detail"] and "unknown calendar" in problem["detail"]
    too_long = client.get(
        "/v1/promises", params={"from": "2026-01-01", "to": "2026-12-31"}, headers=keys.supervisor
    )
    assert too_long.json()["code"] == "range_too_long"


def test_without_a_promises_file_there_is_nothing_to_measure(
    client: TestClient, keys: Keys
) -> None:
    body = client.get("/v1/promises", headers=keys.supervisor).json()
    assert body["configured"] is False and body["promises"] == []
    # A range ending near the first day there is starts on that day, not before it.
    earliest = client.get("/v1/promises", params={"to": "0001-01-05"}, headers=keys.supervisor)
    assert earliest.status_code == 200, earliest.text
    latest = client.get("/v1/promises", params={"to": "9999-12-31"}, headers=keys.supervisor)
    assert latest.status_code == 400 and latest.json()["code"] == "range_out_of_bounds"


def test_the_desk_lists_the_worst_misses_linked_to_their_customers(
    promised: tuple[TestClient, Path], keys: Keys, engine: Engine
) -> None:
    client, _ = promised
    post(client, keys.integrator, email(7, MONDAY - dt.timedelta(days=3), None))
    signed = sign_in(engine, keys.supervisor["Authorization"].split()[1])
    assert signed is not None
    client.cookies.set("wl_desk", signed[1])
    page = client.get("/desk/promises", params={"from": "2026-11-20", "to": "2026-11-30"})
    assert page.status_code == 200
    assert "Emma 7" in page.text and "/desk/card/" in page.text
    # The page's CSV link is the API's CSV of the same report, and says what the JSON says.
    link = re.search(r'href="(/desk/promises\.csv\?[^"]+)"', page.text)
    assert link is not None
    text = client.get(html.unescape(link.group(1))).text
    params = {"from": "2026-11-20", "to": "2026-11-30"}
    api = client.get("/v1/promises", params={**params, "format": "csv"}, headers=keys.supervisor)
    assert api.headers["content-type"].startswith("text/csv")
    assert text == api.text
    body = client.get("/v1/promises", params=params, headers=keys.supervisor).json()
    rows = list(csv.DictReader(io.StringIO(text)))
    totals = {r["promise"]: r for r in rows if r["week"] == "total"}
    for p in body["promises"]:
        assert int(totals[p["name"]]["missed"]) == p["total"]["missed"]
        assert int(totals[p["name"]]["met"]) == p["total"]["met"]
    assert sum(int(r["missed"]) for r in totals.values()) >= 1
