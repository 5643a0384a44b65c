"""POST /v1/events: idempotent, atomic per event, clear about every rejection."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.helpers import post
from tests.factories import (
    MILES,
    Keys,
    at,
    conversation,
    customer,
    identified,
    make_event,
    message,
    started,
)
from warmline.app import create_app
from warmline.config import Settings
from warmline.storage import schema as t


def count(engine: Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_events_build_one_customer_memory(client: TestClient, keys: Keys, engine: Engine) -> None:
    body = post(client, keys.integrator, [identified(), *conversation("chat-1")])
    assert body["accepted"] == 5 and body["rejected"] == 0
    customer_ids = {r["customer_id"] for r in body["results"]}
    assert len(customer_ids) == 1
    assert count(engine, t.customers) == 1
    assert count(engine, t.messages) == 2
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.interactions)).mappings().one()
    assert (row["channel"], row["status"], row["outcome"], row["reason"]) == (
        "chat",
        "ended",
        "resolved",
        "card_declined",
    )
    assert row["message_count"] == 2


def test_replaying_a_batch_changes_nothing(client: TestClient, keys: Keys, engine: Engine) -> None:
    batch = [identified(), *conversation("chat-1")]
    post(client, keys.integrator, batch)
    before = {table.name: count(engine, table) for table in (*t.PROJECTIONS, t.raw_events)}
    again = post(client, keys.integrator, batch)
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 5
    assert again["duplicates"] == 5
    assert {table.name: count(engine, table) for table in (*t.PROJECTIONS, t.raw_events)} == before


def test_a_duplicate_within_one_batch_is_stored_once(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    event = identified()
    body = post(client, keys.integrator, [event, event])
    assert [r["status"] for r in body["results"]] == ["accepted", "duplicate"]
    assert count(engine, t.raw_events) == 1


def test_invalid_events_are_rejected_alone(client: TestClient, keys: Keys, engine: Engine) -> None:
    good = identified()
    bad_kind = identified(customer(("Phone Number", "020 7946 0958")))
    no_id = identified()
    del no_id["id"]
    body = post(client, keys.integrator, [good, bad_kind, no_id], status=207)
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["accepted", "rejected", "rejected"]
    assert body["results"][1]["errors"][0]["code"] == "invalid_identifier"
    assert body["results"][1]["errors"][0]["field"] == "/data/customer/identifiers/0"
    assert "kind must be lower-case" in body["results"][1]["errors"][0]["reason"]
    assert body["results"][2]["errors"] == [
        {"field": "/id", "reason": "Field required", "code": "missing_field"}
    ]
    assert count(engine, t.raw_events) == 1


def test_a_batch_of_only_bad_events_is_422(client: TestClient, keys: Keys) -> None:
    body = post(client, keys.integrator, [make_event("nope.happened")], status=422)
    assert body["results"][0]["errors"][0]["code"] == "unknown_event_type"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"[{", "invalid_json"),
        (b'{"specversion": "1.0"}', "body_not_array"),
        (b'"hello"', "body_not_array"),
    ],
)
def test_a_malformed_body_is_a_problem_with_a_code(
    client: TestClient, keys: Keys, content: bytes, code: str
) -> None:
    response = client.post("/v1/events", content=content, headers=keys.integrator)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == code and problem["status"] == 400
    assert problem["detail"] and problem["hint"]


def test_more_than_10000_events_is_refused_whole(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    batch = [identified(customer(("email", f"p{i}@example.org"))) for i in range(10_001)]
    response = client.post("/v1/events", json=batch, headers=keys.integrator)
    assert response.status_code == 413
    assert response.json()["code"] == "batch_too_large"
    assert "10000" in response.json()["detail"]
    assert count(engine, t.raw_events) == 0


def test_an_oversized_body_is_refused_early(client: TestClient, keys: Keys) -> None:
    huge = b"[" + b" " * (17 * 1024 * 1024) + b"]"
    response = client.post("/v1/events", content=huge, headers=keys.integrator)
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_a_10mb_message_is_rejected_with_a_clear_error(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    big = message("chat-1", "x" * (10 * 1024 * 1024), customer=MILES)
    body = post(client, keys.integrator, [identified(), big], status=207)
    error = body["results"][1]["errors"][0]
    assert (error["field"], error["code"]) == ("/data/text", "too_long")
    assert "20000" in error["reason"]
    assert count(engine, t.messages) == 0


def test_html_and_control_characters_are_stored_verbatim(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    name = "<img src=x onerror=alert(1)> Robert'); DROP TABLE customers;--\x07"
    text = "<script>alert('hi')</script>\r\n\x1b[2J"
    post(
        client,
        keys.integrator,
        [
            identified(customer(("email", "bobby@example.org"), name=name)),
            message("chat-1", text, customer=customer(("email", "bobby@example.org"))),
        ],
    )
    with engine.connect() as conn:
        assert conn.execute(sa.select(t.customers.c.name)).scalar_one() == name
        assert conn.execute(sa.select(t.messages.c.text)).scalar_one() == text


def test_timestamps_need_a_time_zone(client: TestClient, keys: Keys) -> None:
    body = post(client, keys.integrator, [identified(time="2026-11-22T10:00:00")], status=422)
    assert body["results"][0]["errors"][0]["code"] == "naive_timestamp"


def test_verified_identifiers_link_across_sources(client: TestClient, keys: Keys) -> None:
    crm = identified(source="crm")
    chat = message(
        "chat-9", "hello", source="chat-widget", customer=customer(("email", "MILES@example.org"))
    )
    voice = started("call-3", "voice", customer(("phone", "020 7946 0958")), source="pbx")
    body = post(client, keys.integrator, [crm, chat, voice])
    assert len({r["customer_id"] for r in body["results"]}) == 1


def test_a_shared_identifier_is_not_guessed(client: TestClient, keys: Keys) -> None:
    household = "+44 20 7946 0000"
    a = identified(customer(("email", "ann@example.org", True), ("phone", household)))
    b = identified(customer(("email", "ben@example.org", True)))
    post(client, keys.integrator, [a, b])
    # Ben also uses the household phone; linking it to Ann would merge two people.
    post(
        client,
        keys.integrator,
        [identified(customer(("email", "ben@example.org"), ("phone", household)))],
    )
    only_phone = post(client, keys.integrator, [identified(customer(("phone", household)))])
    ann = client.get(
        "/v1/customers", params={"identifier": "email:ann@example.org"}, headers=keys.agent
    )
    assert only_phone["results"][0]["customer_id"] == ann.json()["customers"][0]["id"]


def test_a_message_before_its_interaction_waits_and_is_then_projected(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    early = message("call-7", "are you there?", time=at(5))
    first = post(client, keys.integrator, [early])
    assert first["results"][0]["status"] == "pending"
    assert first["results"][0]["awaiting"] == "interaction:call-7"
    assert count(engine, t.messages) == 0
    post(client, keys.integrator, [identified(), started("call-7", "voice", time=at(0))])
    assert count(engine, t.messages) == 1
    with engine.connect() as conn:
        raw = (
            conn.execute(sa.select(t.raw_events).where(t.raw_events.c.event_id == early["id"]))
            .mappings()
            .one()
        )
        interaction = conn.execute(sa.select(t.interactions)).mappings().one()
    assert raw["awaiting"] is None and raw["customer_id"] == interaction["customer_id"]
    assert interaction["message_count"] == 1 and interaction["channel"] == "voice"


def test_an_event_naming_its_customer_creates_a_placeholder(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    post(client, keys.integrator, [message("chat-2", "hello", customer=MILES, time=at(2))])
    post(client, keys.integrator, [started("chat-2", "chat", time=at(1))])
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.interactions)).mappings().one()
    assert row["channel"] == "chat" and row["started_at"].isoformat() == "2026-11-22T10:01:00+00:00"


def test_cases_commitments_feedback_and_activities(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    events: list[dict[str, Any]] = [
        identified(),
        *conversation("chat-1"),
        make_event(
            "case.opened",
            customer=MILES,
            case_id="case-1",
            title="Card declined",
            interaction_id="chat-1",
        ),
        make_event(
            "commitment.made",
            case_id="case-1",
            commitment_id="cmt-1",
            text="Call back once the card block is lifted",
            due_at=at(60 * 24),
        ),
        make_event("case.updated", case_id="case-1", status="escalated", note="Sent to card team"),
        make_event(
            "feedback.submitted", interaction_id="chat-1", kind="csat", score=2, comment="slow"
        ),
        make_event(
            "activity",
            customer=MILES,
            name="payment.failed",
            attributes={"amount": 54.2, "merchant": "Fuel & Go"},
        ),
    ]
    post(client, keys.integrator, events)
    post(
        client,
        keys.integrator,
        [
            make_event("commitment.fulfilled", commitment_id="cmt-1", time=at(90)),
            make_event("case.resolved", case_id="case-1", resolution="Block lifted", time=at(91)),
        ],
    )
    with engine.connect() as conn:
        case = conn.execute(sa.select(t.cases)).mappings().one()
        commitment = conn.execute(sa.select(t.commitments)).mappings().one()
        interaction = conn.execute(sa.select(t.interactions)).mappings().one()
        activity = conn.execute(sa.select(t.activities)).mappings().one()
    assert (case["status"], case["latest_note"], case["resolution"]) == (
        "resolved",
        "Sent to card team",
        "Block lifted",
    )
    assert interaction["case_id"] == case["id"]
    assert (commitment["status"], commitment["case_id"]) == ("fulfilled", case["id"])
    assert activity["attributes"] == {"amount": 54.2, "merchant": "Fuel & Go"}
    assert count(engine, t.feedback) == 1


def test_a_failure_mid_batch_leaves_no_half_event(
    settings: Settings, keys: Keys, engine: Engine
) -> None:
    client = TestClient(create_app(settings, engine), raise_server_exceptions=False)

    def fail_on_messages(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO MESSAGES"):
            raise RuntimeError("disk on fire")

    sa.event.listen(engine, "before_cursor_execute", fail_on_messages)
    try:
        response = client.post(
            "/v1/events", json=[identified(), *conversation("chat-1")], headers=keys.integrator
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail_on_messages)
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    for table in (*t.PROJECTIONS, t.raw_events):
        assert count(engine, table) == 0, table.name
    # Nothing was acknowledged, so the client retries, and this time it all lands.
    assert post(client, keys.integrator, [identified(), *conversation("chat-1")])["accepted"] == 5


def test_concurrent_replays_store_each_event_once(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    batch = [identified(), *conversation("chat-1"), *conversation("call-1", "voice", 10)]
    statuses: list[list[str]] = []

    def send() -> None:
        body = client.post("/v1/events", json=batch, headers=keys.integrator).json()
        statuses.append([r["status"] for r in body["results"]])

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert count(engine, t.raw_events) == len(batch)
    assert count(engine, t.messages) == 4
    assert count(engine, t.customers) == 1
    accepted = [sum(s == "accepted" for s in run) for run in statuses]
    assert sorted(accepted) == [0, 0, 0, len(batch)]
