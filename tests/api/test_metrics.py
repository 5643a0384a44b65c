"""GET /v1/metrics: first contact resolution across channels, the other measures, and bad
questions answered with stable codes."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import post
from tests.factories import Keys, at, customer, ended, identified, make_event, message, started

ANN = customer(("email", "ann@example.org", True), name="Ann Lee", segment="premier")
BOB = customer(("email", "bob@example.org", True), name="Bob Stone", segment="everyday")
DAY = 24 * 60


def contact(
    iid: str,
    ref: dict[str, Any],
    channel: str,
    minutes: float,
    reason: str,
    outcome: str = "resolved",
    queue: str = "cards",
) -> list[dict[str, Any]]:
    return [
        started(iid, channel, ref, time=at(minutes), queue=queue, agent_id="dave"),
        message(iid, "My card was declined again.", time=at(minutes + 1)),
        ended(iid, outcome, reason=reason, time=at(minutes + 5)),
    ]


def seed(client: TestClient, keys: Keys) -> None:
    post(
        client,
        keys.integrator,
        [
            identified(ANN),
            identified(BOB),
            # Ann: a chat "resolved", then a call about the same thing two days later.
            *contact("chat-1", ANN, "chat", 0, "card_declined"),
            *contact("call-1", ANN, "voice", 2 * DAY, "card_declined"),
            # Bob: resolved first time by phone; a different reason a day later by email.
            *contact("call-2", BOB, "voice", 0, "card_declined"),
            *contact("mail-1", BOB, "email", DAY, "change_address", queue="servicing"),
            make_event(
                "feedback.submitted", interaction_id="call-2", kind="csat", score=5, time=at(60)
            ),
            make_event(
                "feedback.submitted", interaction_id="chat-1", kind="csat", score=2, time=at(60)
            ),
            make_event("feedback.submitted", customer=BOB, kind="nps", score=10, time=at(70)),
        ],
    )


def metrics(client: TestClient, keys: Keys, status: int = 200, **params: Any) -> Any:
    params.setdefault("from", "2026-11-20")
    params.setdefault("to", "2026-11-30")
    response = client.get("/v1/metrics", params=params, headers=keys.supervisor)
    assert response.status_code == status, response.text
    return response.json()


def test_first_contact_resolution_follows_the_customer_across_channels(
    client: TestClient, keys: Keys
) -> None:
    seed(client, keys)
    body = metrics(client, keys, measure="first_contact_resolution")
    # First contacts: Ann's chat (followed by her call: not resolved first time), Bob's
    # call (resolved) and Bob's email (resolved, a different reason); Ann's call is a repeat.
    assert body["total"]["count"] == 3
    assert body["total"]["counts"] == {"first_contacts": 3, "first_contacts_resolved": 2}
    assert body["total"]["value"] == round(2 / 3, 4)
    by_channel = {
        s["group"]: s["total"]
        for s in metrics(client, keys, measure="first_contact_resolution", by="channel")["series"]
    }
    assert by_channel["chat"]["value"] == 0.0
    assert by_channel["voice"]["value"] == 1.0 and by_channel["email"]["value"] == 1.0
    repeat = metrics(client, keys, measure="repeat_contact_rate")["total"]
    assert repeat["counts"] == {"contacts_with_reason": 4, "repeat_contacts": 1}
    reopened = metrics(client, keys, measure="reopen_rate", reason="card_declined")["total"]
    assert reopened["counts"] == {"resolved_contacts": 3, "reopened_contacts": 1}
    csat = metrics(client, keys, measure="csat", by="channel")
    assert {s["group"]: s["total"]["value"] for s in csat["series"]} == {"voice": 1.0, "chat": 0.0}
    assert metrics(client, keys, measure="nps")["total"] == {
        "value": 100.0,
        "count": 1,
        "counts": {"nps_responses": 1, "nps_promoters": 1, "nps_detractors": 0},
    }
    by_segment = metrics(client, keys, measure="contacts", by="segment", team="cards")
    assert {s["group"]: s["total"]["value"] for s in by_segment["series"]} == {
        "premier": 2.0,
        "everyday": 1.0,
    }


def test_a_later_contact_on_another_channel_turns_a_first_time_resolution_into_a_repeat(
    client: TestClient, keys: Keys
) -> None:
    post(
        client,
        keys.integrator,
        [identified(ANN), *contact("chat-1", ANN, "chat", 0, "card_declined")],
    )
    assert metrics(client, keys, measure="first_contact_resolution")["total"]["value"] == 1.0
    post(client, keys.integrator, contact("app-1", ANN, "app", 6 * DAY, "card_declined"))
    assert metrics(client, keys, measure="first_contact_resolution")["total"]["value"] == 0.0
    # Eight days later is outside the 7-day window: a new first contact.
    post(client, keys.integrator, contact("app-2", ANN, "app", 14 * DAY, "card_declined"))
    total = metrics(client, keys, measure="first_contact_resolution", to="2026-12-31")["total"]
    assert total["counts"] == {"first_contacts": 2, "first_contacts_resolved": 1}


def test_buckets_by_period_and_empty_periods_count_zero(client: TestClient, keys: Keys) -> None:
    seed(client, keys)
    daily = metrics(client, keys, measure="contacts")
    assert [p["bucket"] for p in daily["series"][0]["points"]][:3] == [
        "2026-11-20",
        "2026-11-21",
        "2026-11-22",
    ]
    assert sum(p["value"] for p in daily["series"][0]["points"]) == 4.0
    monthly = metrics(
        client,
        keys,
        measure="contacts",
        period="month",
        **{"from": "2026-01-15", "to": "2026-12-31"},
    )
    points = {p["bucket"]: p["value"] for p in monthly["series"][0]["points"]}
    assert points["2026-11-01"] == 4.0 and points["2026-01-01"] == 0.0 and len(points) == 12
    empty = metrics(
        client,
        keys,
        measure="first_contact_resolution",
        **{"from": "2020-01-01", "to": "2020-01-31"},
    )
    assert empty["total"] == {
        "value": None,
        "count": 0,
        "counts": {"first_contacts": 0, "first_contacts_resolved": 0},
    }
    assert len(empty["series"][0]["points"]) == 31
    weekly = metrics(client, keys, measure="contacts", period="week")
    assert weekly["series"][0]["points"][0]["bucket"] == "2026-11-16"  # the Monday


def test_bad_questions_get_problem_details_with_stable_codes(
    client: TestClient, keys: Keys
) -> None:
    cases = [
        ({"measure": "happiness"}, "unknown_measure"),
        ({"measure": "csat", "by": "colour"}, "unknown_dimension"),
        ({"measure": "csat", "period": "fortnight"}, "unknown_period"),
        ({"measure": "csat", "from": "2026-12-01", "to": "2026-11-01"}, "range_reversed"),
        ({"measure": "csat", "from": "2016-01-01", "to": "2025-12-31"}, "range_too_long"),
        ({"measure": "csat", "by": "agent", "reason": "card_declined"}, "dimensions_not_combined"),
        ({"measure": "csat", "by": "channel", "channel": "chat"}, "dimension_filtered_and_grouped"),
    ]
    for params, code in cases:
        body = metrics(client, keys, status=400, **params)
        assert body["code"] == code, params
        assert body["hint"]
    ten_years = metrics(
        client, keys, status=400, measure="csat", **{"from": "2016-01-01", "to": "2025-12-31"}
    )
    assert "period=month" in ten_years["hint"]
    assert (
        metrics(
            client,
            keys,
            measure="csat",
            period="month",
            **{"from": "2016-01-01", "to": "2025-12-31"},
        )["total"]["count"]
        == 0
    )
    # The calendar's first day has no 30 days before it: the range starts there.
    answer = client.get(
        "/v1/metrics", params={"measure": "csat", "to": "0001-01-01"}, headers=keys.supervisor
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["from"], answer.json()["total"]["count"]) == ("0001-01-01", 0)
    assert (
        client.get("/v1/metrics", params={"measure": "csat"}, headers=keys.agent).status_code == 403
    )


def test_csv_is_the_same_answer(client: TestClient, keys: Keys) -> None:
    seed(client, keys)
    params = {
        "measure": "first_contact_resolution",
        "by": "channel",
        "from": "2026-11-20",
        "to": "2026-11-30",
    }
    body = client.get("/v1/metrics", params=params, headers=keys.supervisor).json()
    text = client.get("/v1/metrics", params={**params, "format": "csv"}, headers=keys.supervisor)
    assert text.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text.text)))
    totals = {r["channel"]: r for r in rows if r["bucket"] == "total"}
    for s in body["series"]:
        assert float(totals[s["group"]]["value"]) == s["total"]["value"]
        assert int(totals[s["group"]]["first_contacts"]) == s["total"]["counts"]["first_contacts"]
    assert len(rows) == len(body["series"]) * (1 + len(body["series"][0]["points"]))
    measures = client.get("/v1/metrics/measures", headers=keys.supervisor).json()["measures"]
    assert {m["name"] for m in measures} >= {
        "first_contact_resolution",
        "csat",
        "nps",
        "ces",
        "resolution_time_p90",
    }
