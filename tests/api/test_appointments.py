"""Appointments from any channel: the reason on the card before they come, the reference at the
kiosk, the assigned staff member told of the arrival, no-shows recorded, bad references
refused with what to do."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.branch_calls import add_branch, call_next, check_in, miles, stub_sms
from tests.factories import Keys
from warmline.actions.appointments import sweep_no_shows
from warmline.actions.branch_setup import branch_or_404
from warmline.storage import schema as t


def book(
    client: TestClient,
    headers: dict[str, str],
    cid: str,
    *,
    minutes: float | None = None,
    status: int = 201,
    **body: Any,
) -> Any:
    """Book for ``minutes`` from now (default: soon, and today in London, as a branch
    checks a booking's day: half an hour, or half of what is left of the day)."""
    now = dt.datetime.now(dt.UTC)
    if minutes is None:
        london = now.astimezone(ZoneInfo("Europe/London"))
        midnight = (london + dt.timedelta(days=1)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        minutes = min(30.0, (midnight - london).total_seconds() / 60 / 2)
    at = now + dt.timedelta(minutes=minutes)
    payload = {
        "customer_id": cid,
        "branch": "soho",
        "service": "mortgages",
        "starts_at": at.isoformat(),
        "reason": "Remortgage: the fixed rate ends in March",
        "staff": "test-supervisor",
        "channel": "app",
        **body,
    }
    response = client.post("/v1/appointments", json=payload, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def test_a_booking_carries_its_reason_to_the_card_the_kiosk_and_the_staff_desk(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    add_branch(client, keys)
    cid = miles(client, keys, preferred_name="Miles")
    booked = book(client, keys.integrator, cid)
    assert booked["status"] == "booked" and len(booked["ref"]) == 9
    card = client.get(f"/v1/customers/{cid}/card", headers=keys.agent).json()
    activity = card["recent_activities"][0]
    assert activity["name"] == "branch.appointment_booked"
    assert activity["summary"] == "Remortgage: the fixed rate ends in March"
    typed = booked["ref"].replace("-", "").lower().replace("0", "o")
    ticket = check_in(client, keys, appointment=typed)
    assert ticket["ticket"] == "M001" and ticket["first_name"] == "Miles"
    assert ticket["reason"] == "Remortgage: the fixed rate ends in March"
    assert ticket["staff_told"] is True and ticket["appointment_clock"]
    with engine.connect() as conn:
        push = conn.execute(sa.select(t.desk_pushes)).mappings().one()
        appointment = conn.execute(sa.select(t.appointments)).mappings().one()
    assert push["agent"] == "test-supervisor" and push["kind"] == "arrival"
    assert push["customer_id"] == cid and push["detail"]["ticket"] == "M001"
    assert appointment["status"] == "arrived" and appointment["visit_id"] == ticket["visit_id"]
    twice = check_in(client, keys, 409, appointment=booked["ref"])
    assert twice["code"] == "appointment_checked_in"
    called = call_next(client, keys.supervisor, "desk-3")
    visit = called["card"]["now"]["visit"]
    assert visit["reason"] == "Remortgage: the fixed rate ends in March"
    assert visit["ticket"] == "M001" and visit["called_by"] == "test-supervisor"


def test_bad_references_are_refused_with_what_to_do(client: TestClient, keys: Keys) -> None:
    add_branch(client, keys)
    add_branch(client, keys, "leeds", name="Leeds")
    cid = miles(client, keys)
    unknown = check_in(client, keys, 404, appointment="ZZZZ-ZZZZ")
    assert unknown["code"] == "appointment_not_found" and "phone number" in unknown["hint"]
    nonsense = check_in(client, keys, 404, appointment="<script>")
    assert nonsense["code"] == "appointment_not_found"
    tomorrow = book(client, keys.agent, cid, minutes=24 * 60)
    other_day = check_in(client, keys, 409, appointment=tomorrow["ref"])
    assert other_day["code"] == "appointment_other_day"
    assert "that appointment is on" in other_day["detail"]
    leeds = book(client, keys.agent, cid, branch="leeds", staff=None)
    elsewhere = check_in(client, keys, 409, appointment=leeds["ref"])
    assert elsewhere["code"] == "appointment_other_branch"


def test_a_booking_is_checked_field_by_field(client: TestClient, keys: Keys) -> None:
    add_branch(client, keys)
    cid = miles(client, keys)
    bad = book(
        client,
        keys.integrator,
        cid,
        status=400,
        minutes=-5,
        service="yachts",
        staff="nobody",
        reason=" \n ",
    )
    assert bad["code"] == "invalid_appointment"
    for field in ("service:", "staff:", "starts_at:", "reason:"):
        assert field in bad["detail"]
    gone = book(client, keys.integrator, "cus_nobody", status=404)
    assert gone["code"] == "customer_not_found"
    nowhere = book(client, keys.integrator, cid, status=404, branch="atlantis")
    assert nowhere["code"] == "branch_not_found"
    refused = client.post("/v1/appointments", json={}, headers=keys.kiosk)
    assert refused.status_code == 403


def test_a_missed_appointment_is_recorded_as_a_no_show(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    add_branch(client, keys)
    cid = miles(client, keys)
    booked = book(client, keys.agent, cid, minutes=5)
    branch = branch_or_404(engine, "soho")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=19)
    assert sweep_no_shows(engine, branch, grace=dt.timedelta(minutes=15), now=later) == []
    later += dt.timedelta(minutes=2)
    missed = sweep_no_shows(engine, branch, grace=dt.timedelta(minutes=15), now=later)
    assert [m["ref"] for m in missed] == [booked["ref"]]
    assert sweep_no_shows(engine, branch, grace=dt.timedelta(minutes=15), now=later) == []
    with engine.connect() as conn:
        status = conn.execute(sa.select(t.appointments.c.status)).scalar()
    assert status == "no_show"
    timeline = client.get(f"/v1/customers/{cid}/timeline", headers=keys.agent).json()
    names = [i.get("name") for i in timeline["items"] if i["kind"] == "activity"]
    assert names[:2] == ["branch.appointment_missed", "branch.appointment_booked"]


def test_an_appointment_whose_time_has_come_is_called_before_walk_ins(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    add_branch(client, keys)
    sender = stub_sms(client)
    cid = miles(client, keys)
    walk_in = client.post(
        "/v1/branches/soho/phone-codes", json={"phone": "07911 123400"}, headers=keys.kiosk
    ).json()
    check_in(
        client,
        keys,
        phone="07911 123400",
        phone_code_id=walk_in["phone_code_id"],
        phone_code=sender.last_code(),
        service="mortgages",
    )
    booked = book(client, keys.agent, cid)
    check_in(client, keys, appointment=booked["ref"])
    with engine.begin() as conn:  # its time comes
        conn.execute(
            t.appointments.update().values(
                starts_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
            )
        )
    queue = client.get("/v1/branches/soho/queue", headers=keys.agent).json()
    assert [q["ticket"] for q in queue["tickets"]] == ["M002", "M001"]
    assert call_next(client, keys.supervisor, "desk-3")["visit"]["ticket"] == "M002"
