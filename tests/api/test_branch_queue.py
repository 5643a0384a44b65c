"""The branch queue: setup checked with the fix, tickets called in order, one winner when two
staff call the same ticket, the card popped on the caller's desk, the visit on the timeline
with who served and how long, joining the case of the app contact before it."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.branch_calls import (
    STAFF,
    StubSender,
    add_branch,
    call_next,
    check_in,
    checkin_code,
    miles,
    phone_check_in,
    soho,
    stub_sms,
)
from tests.api.calls import verify_in_app
from tests.api.helpers import post
from tests.factories import Keys, make_event
from warmline.actions import contacts
from warmline.actions.branch_setup import branch_or_404
from warmline.actions.calls import call
from warmline.domain.access.roles import Actor, Role
from warmline.errors import Conflict
from warmline.storage import schema as t


def walk_in(client: TestClient, keys: Keys, sender: StubSender, n: int, **body: Any) -> Any:
    """A guest with their own number checks in."""
    return phone_check_in(client, keys, sender, f"07911 1234{n:02d}", **body)


def test_a_branch_is_checked_whole_and_every_problem_says_the_fix(
    client: TestClient, keys: Keys
) -> None:
    bad = soho(
        timezone="Mars/Olympus",
        services=[
            {"code": "everyday", "name": "Everyday", "letter": "a"},
            {"code": "Every Day", "name": "", "letter": "A", "minutes": 0, "colour": "red"},
        ],
        service_points=[{"code": "c1", "name": "Counter 1", "services": ["yachts"]}],
    )
    response = client.put("/v1/branches/soho", json=bad, headers=keys.admin)
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "invalid_branch"
    fields = {e["field"] for e in problem["errors"]}
    assert {
        "branch.timezone",
        "branch.services[0].letter",
        "branch.services[1].code",
        "branch.services[1].name",
        "branch.services[1].minutes",
        "branch.services[1].colour",
        "branch.service_points[0].services[0]",
        "branch.services[0]",  # nobody serves it
    } <= fields
    assert "Europe/London" in problem["detail"]
    forbidden = client.put("/v1/branches/soho", json=soho(), headers=keys.agent)
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "forbidden")
    added = client.put("/v1/branches/soho", json=soho(), headers=keys.admin)
    assert (added.status_code, added.json()["outcome"]) == (201, "added")
    same = client.put("/v1/branches/soho", json=soho(), headers=keys.admin)
    assert (same.status_code, same.json()["outcome"]) == (200, "unchanged")
    listed = client.get("/v1/branches", headers=keys.kiosk).json()["branches"]
    assert [b["code"] for b in listed] == ["soho"]
    assert listed[0]["service_points"][2]["services"] == ["mortgages", "everyday"]


def test_tickets_are_called_in_order_and_only_by_the_branchs_staff(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    add_branch(client, keys)
    sender = stub_sms(client)
    tickets = [walk_in(client, keys, sender, n)["ticket"] for n in range(3)]
    mortgage = walk_in(client, keys, sender, 3, service="mortgages")["ticket"]
    assert tickets == ["A001", "A002", "A003"] and mortgage == "M001"
    queue = client.get("/v1/branches/soho/queue", headers=keys.agent).json()
    assert [t["ticket"] for t in queue["tickets"]] == ["A001", "A002", "A003", "M001"]
    waits = [t["estimated_wait_minutes"] for t in queue["tickets"][:3]]
    assert waits == sorted(waits) and waits[0] < waits[2]
    # The guests' numbers (07911 1234..) are nowhere in it, however written.
    assert "guest_phone" not in str(queue)
    assert "+447911" not in str(queue) and "07911" not in str(queue)
    assert call_next(client, keys.agent)["visit"]["ticket"] == "A001"
    # The mortgage desk calls its own service first... and everyday when it has none.
    assert call_next(client, keys.supervisor, "desk-3")["visit"]["ticket"] == "A002"
    by_name = call_next(client, keys.admin, "desk-3", ticket="m1")
    assert by_name["visit"]["ticket"] == "M001"
    elsewhere = call_next(client, keys.agent, "counter-1", 409, ticket="M001")
    assert elsewhere["code"] == "ticket_already_called"
    assert call_next(client, keys.agent, "counter-1", 404, ticket="A099")["code"] == (
        "ticket_not_found"
    )
    assert call_next(client, keys.agent, "counter-1", 400, ticket="??")["code"] == (
        "ticket_malformed"
    )
    assert call_next(client, keys.agent)["visit"]["ticket"] == "A003"
    empty = call_next(client, keys.agent, "counter-1", 409)
    assert empty["code"] == "queue_empty" and "Cards and everyday banking" in empty["detail"]
    add_branch(client, keys, staff=["test-supervisor"])
    stranger = call_next(client, keys.agent, "counter-1", 403)
    assert stranger["code"] == "not_staff_here" and "staff" in stranger["hint"]


def race(engine: Engine, ticket: str) -> list[Any]:
    """Two staff at two counters call ``ticket`` at the same moment; what each got."""
    branch = branch_or_404(engine, "soho")
    start = threading.Barrier(2)
    results: list[Any] = []

    def attempt(name: str, point: str) -> None:
        actor = Actor(f"key-{name}", name, Role.AGENT)
        start.wait()
        try:
            results.append(call(engine, actor, branch, point, ticket=ticket))
        except Conflict as refused:
            results.append(refused)

    threads = [
        threading.Thread(target=attempt, args=(name, point))
        for name, point in (("test-agent", "counter-1"), ("test-supervisor", "counter-2"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_staff_calling_one_ticket_at_once_one_wins_the_other_is_told(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    add_branch(client, keys)
    sender = stub_sms(client)
    for n in range(3):
        results = race(engine, walk_in(client, keys, sender, n)["ticket"])
        refused = [r for r in results if isinstance(r, Conflict)]
        won = [r for r in results if not isinstance(r, Conflict)]
        assert len(won) == 1 and len(refused) == 1, results
        assert refused[0].code == "ticket_already_called"
        assert won[0].visit["called_by"] in refused[0].message
    with engine.connect() as conn:
        pushes = conn.execute(sa.select(t.desk_pushes.c.agent)).scalars().all()
        visits = conn.execute(sa.select(t.visits.c.status)).scalars().all()
    assert len(pushes) == 3 and set(visits) == {"called"}


def test_call_next_pops_the_card_on_the_callers_desk(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    add_branch(client, keys)
    cid = miles(client, keys)
    verify_in_app(client, keys)
    check_in(client, keys, code=checkin_code(client, keys, cid)["code"], service="everyday")
    called = call_next(client, keys.agent)
    with engine.connect() as conn:
        push = conn.execute(sa.select(t.desk_pushes)).mappings().one()
    assert push["agent"] == "test-agent" and push["kind"] == "contact"
    assert push["channel"] == "branch" and push["customer_id"] == cid
    assert push["interaction_id"] == called["interaction_id"]
    assert push["detail"]["ticket"] == "A001" and push["detail"]["service_point"] == "Counter 1"
    # Calling it again (the customer did not hear) pops it again, on the same contact.
    again = call_next(client, keys.agent, ticket="A001")
    assert again["recalled"] is True and again["interaction_id"] == called["interaction_id"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.desk_pushes)).scalar() == 2
        assert (
            conn.execute(
                sa.select(sa.func.count())
                .select_from(t.interactions)
                .where(t.interactions.c.channel == "branch")
            ).scalar()
            == 1
        )


def test_a_visit_after_an_app_chat_joins_its_case_and_counts_as_effort(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    add_branch(client, keys)
    cid = miles(client, keys)
    ago = lambda minutes: (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)).isoformat()  # noqa: E731
    ref = {"identifiers": [{"kind": "email", "value": "miles@example.org"}]}
    post(
        client,
        keys.integrator,
        [
            make_event(
                "interaction.started",
                customer=ref,
                interaction_id="app-chat-1",
                channel="app",
                time=ago(45),
            ),
            make_event(
                "message.posted",
                interaction_id="app-chat-1",
                speaker="customer",
                text="My card was swallowed by the ATM outside the branch",
                time=ago(44),
            ),
            make_event(
                "interaction.ended",
                interaction_id="app-chat-1",
                outcome="unresolved",
                reason="card_swallowed",
                time=ago(40),
            ),
            make_event(
                "case.opened",
                customer=ref,
                case_id="case-swallowed",
                title="Card swallowed by an ATM",
                interaction_id="app-chat-1",
                time=ago(40),
            ),
            make_event(
                "customer.authenticated",
                source="mobile-app",
                customer=ref,
                channel="app",
                method="app_biometric",
                level="strong",
                interaction_id="app-chat-1",
                time=ago(45),
                expires_at=ago(-10),
            ),
        ],
    )
    check_in(
        client,
        keys,
        code=checkin_code(client, keys, cid, interaction_id="app-chat-1")["code"],
        service="everyday",
        reason="Lost or stolen card",
    )
    # The chat ended 25 minutes before they arrived and they waited 15: 40 minutes before the
    # call, beyond the 30-minute continuity window, yet what they came about.
    with engine.begin() as conn:
        conn.execute(
            t.visits.update().values(
                checked_in_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=15)
            )
        )
    called = call_next(client, keys.agent)
    assert called["joined_case"] == "case-swallowed"
    card = called["card"]
    assert card["continuity"] and card["continuity"][0]["channel"] == "app"
    assert "card swallowed" in card["continuity"][0]["text"]
    assert [c["title"] for c in card["open_cases"]] == ["Card swallowed by an ATM"]
    visit_id = called["visit"]["id"]
    done = client.post(
        f"/v1/visits/{visit_id}/finish",
        json={"outcome": "resolved", "summary": "Card retrieved from the ATM and returned."},
        headers=keys.agent,
    )
    assert done.status_code == 200, done.text
    with engine.connect() as conn:
        case = conn.execute(sa.select(t.cases)).mappings().one()
    assert case["effort"]["contacts"] == 2 and case["effort"]["channel_switches"] == 1
    timeline = client.get(f"/v1/customers/{cid}/timeline", headers=keys.agent).json()
    visit = next(i for i in timeline["items"] if i.get("channel") == "branch")
    assert visit["agent_id"] == "test-agent" and visit["outcome"] == "resolved"
    assert visit["summary"] == "Card retrieved from the ATM and returned."
    assert visit["visit"]["ticket"] == "A001" and visit["visit"]["waited_minutes"] == 15
    assert visit["visit"]["served_minutes"] == 0
    assert "waited 15 minutes, served by test-agent at Counter 1" in visit["visit"]["words"]
    again = client.post(
        f"/v1/visits/{visit_id}/finish", json={"outcome": "resolved"}, headers=keys.agent
    )
    assert (again.status_code, again.json()["code"]) == (409, "visit_not_at_counter")


def test_a_called_customer_who_does_not_come_is_a_no_show(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    add_branch(client, keys)
    sender = stub_sms(client)
    walk_in(client, keys, sender, 1)
    left = walk_in(client, keys, sender, 2)
    called = call_next(client, keys.agent)
    gone = client.post(f"/v1/visits/{called['visit']['id']}/no-show", headers=keys.agent)
    assert gone.json()["status"] == "no_show"
    waiting = client.post(f"/v1/visits/{left['visit_id']}/no-show", headers=keys.agent)
    assert waiting.json()["status"] == "no_show"
    again = client.post(f"/v1/visits/{left['visit_id']}/no-show", headers=keys.agent)
    assert (again.status_code, again.json()["code"]) == (409, "visit_closed")
    with engine.connect() as conn:
        ended = conn.execute(sa.select(t.interactions.c.outcome)).scalars().all()
    assert ended == ["abandoned"]
    queue = client.get("/v1/branches/soho/queue", headers=keys.agent).json()
    assert queue["waiting"] == 0 and queue["today"] == {"no_show": 2}


def test_a_call_whose_start_fails_leaves_the_ticket_waiting(
    client: TestClient, keys: Keys, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim and the contact's start are one transaction: a start that fails leaves no
    ticket called with no contact, and the next call takes the same ticket."""
    add_branch(client, keys)
    walked = walk_in(client, keys, stub_sms(client), 1)
    branch = branch_or_404(engine, "soho")
    agent = Actor("key-agent", "test-agent", Role.AGENT)

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(contacts, "ingest_within", broken)
    with pytest.raises(RuntimeError):
        call(engine, agent, branch, "counter-1")
    with engine.connect() as conn:
        visit = conn.execute(sa.select(t.visits)).mappings().one()
        pushes = conn.execute(sa.select(sa.func.count()).select_from(t.desk_pushes)).scalar()
    assert (visit["status"], visit["called_by"], pushes) == ("waiting", None, 0)
    monkeypatch.undo()
    called = call(engine, agent, branch, "counter-1")
    assert called.visit["ticket"] == walked["ticket"] and called.contact.pushed_to == "test-agent"


def test_a_customer_who_cannot_be_named_stays_called_at_the_counter(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    """Every identifier of the customer checked in is shared with someone else since: the
    call says so (409), the ticket stays called at that counter to finish, and the next
    call does not keep taking it."""
    add_branch(client, keys)
    cid = miles(client, keys)
    verify_in_app(client, keys)
    check_in(client, keys, code=checkin_code(client, keys, cid)["code"], service="everyday")
    i = t.identifiers
    with engine.begin() as conn:
        own = conn.execute(sa.select(i).where(i.c.customer_id == cid)).mappings().all()
        conn.execute(
            i.insert(),
            [
                {**row, "id": f"x{n}", "customer_id": "other", "origin_id": "other"}
                for n, row in enumerate(own)
            ],
        )
    refused = call_next(client, keys.agent, status=409)
    assert refused["code"] == "customer_not_nameable" and "guest" in refused["hint"]
    with engine.connect() as conn:
        visit = conn.execute(sa.select(t.visits)).mappings().one()
    assert (visit["status"], visit["called_by"], visit["service_point"]) == (
        "called",
        "test-agent",
        "counter-1",
    )
    assert call_next(client, keys.agent, status=409)["code"] == "queue_empty"


def test_staff_sit_at_a_service_point_of_their_branch(client: TestClient, keys: Keys) -> None:
    add_branch(client, keys)
    sat = client.post(
        "/v1/branches/soho/sittings", json={"service_point": "counter-2"}, headers=keys.agent
    )
    assert sat.status_code == 201
    queue = client.get("/v1/branches/soho/queue", headers=keys.agent).json()
    staffed = {p["code"]: p["staff"] for p in queue["service_points"]}
    assert staffed == {"counter-1": None, "counter-2": "test-agent", "desk-3": None}
    nowhere = client.post(
        "/v1/branches/soho/sittings", json={"service_point": "roof"}, headers=keys.agent
    )
    assert nowhere.json()["code"] == "service_point_not_found"
    assert "test-agent" in STAFF
