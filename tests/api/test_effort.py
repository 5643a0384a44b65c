"""Summaries everywhere, channel switches that join the case, and effort counted per case."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.calls import say, seed_miles, start_call
from tests.api.helpers import post
from tests.factories import MILES, Keys, at, conversation, ended, identified, make_event, started

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def _now() -> None:
    """Each test's "now" is when it runs: contacts minutes ago must still be within the
    continuity window however long the suite took to get here."""
    global NOW
    NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def timeline(client: TestClient, keys: Keys, cid: str) -> list[dict[str, Any]]:
    body = client.get(f"/v1/customers/{cid}/timeline", headers=keys.agent).json()
    return list(body["items"])


def card(client: TestClient, keys: Keys, cid: str) -> Any:
    return client.get(f"/v1/customers/{cid}/card", headers=keys.agent).json()


def end_call(client: TestClient, keys: Keys, contact_id: str, minutes: float = 5) -> None:
    when = (NOW + dt.timedelta(minutes=minutes)).isoformat()
    post(client, keys.integrator, [ended(contact_id, source="pbx", time=when)])


def test_every_ended_interaction_gets_a_summary_unless_the_source_sent_one(
    client: TestClient, keys: Keys
) -> None:
    body = post(
        client,
        keys.integrator,
        [
            identified(),
            *conversation("chat-1"),
            started("call-1", "voice", time=at(30)),
            ended("call-1", summary="Customer advised by phone.", time=at(40)),
            started("app-1", "app", time=at(50)),  # still open: no summary yet
        ],
    )
    cid = body["results"][0]["customer_id"]
    items = {i["external_id"]: i for i in timeline(client, keys, cid) if i["kind"] == "interaction"}
    assert items["chat-1"]["summary"] == (
        "My card got declined at the fuel station. Sorry to hear it, let me look."
    )
    assert items["chat-1"]["summary_by"] == "warmline"
    assert (items["call-1"]["summary"], items["call-1"]["summary_by"]) == (
        "Customer advised by phone.",
        "source",
    )
    assert (items["app-1"]["summary"], items["app-1"]["summary_by"]) == (None, None)
    recent = {i["external_id"]: i for i in card(client, keys, cid)["recent_interactions"]}
    assert recent["chat-1"]["summary_by"] == "warmline"
    # A message arriving after the end is folded into the summary.
    post(
        client,
        keys.integrator,
        [
            make_event(
                "message.posted",
                interaction_id="chat-1",
                speaker="customer",
                text="Also my statement shows a duplicated fuel payment.",
                time=at(3.5),
            )
        ],
    )
    items = {i["external_id"]: i for i in timeline(client, keys, cid) if i["kind"] == "interaction"}
    assert "duplicated fuel payment" in items["chat-1"]["summary"]


def test_a_call_after_the_chat_is_a_second_contact_with_a_switch_and_a_restatement(
    client: TestClient, keys: Keys
) -> None:
    cid = seed_miles(client, keys, NOW)
    call = start_call(client, keys.agent)
    assert call["joined_case"] == "case-9"
    case = call["card"]["open_cases"][0]
    assert case["effort"]["contacts"] == 2 and case["effort"]["channel_switches"] == 1
    assert case["effort_words"] == "second contact about this, changed channel once"
    # Miles has to explain it again, and to prove who he is again.
    say(client, keys, call["contact_id"], NOW)
    post(
        client,
        keys.integrator,
        [
            make_event(
                "customer.authenticated",
                source="chat-platform",
                customer=MILES,
                channel="chat",
                method="password",
                level="medium",
                interaction_id="chat-77",
                time=(NOW - dt.timedelta(minutes=10)).isoformat(),
            ),
            make_event(
                "customer.authenticated",
                source="pbx",
                customer=MILES,
                channel="voice",
                method="security_questions",
                level="medium",
                interaction_id=call["contact_id"],
                time=(NOW + dt.timedelta(seconds=30)).isoformat(),
            ),
        ],
    )
    handover = client.post(
        f"/v1/interactions/{call['contact_id']}/handover",
        json={"to_queue": "cards"},
        headers=keys.agent,
    )
    assert handover.status_code == 201
    end_call(client, keys, call["contact_id"])
    case = card(client, keys, cid)["open_cases"][0]
    assert case["effort"] == {
        "contacts": 2,
        "transfers": 1,
        "channel_switches": 1,
        "reverifications": 1,
        "restatements": 1,
    }
    assert case["effort_words"] == (
        "second contact about this, second time explaining it, transferred once, "
        "changed channel once, asked to verify again once"
    )
    cases = [i for i in timeline(client, keys, cid) if i["kind"] == "case"]
    assert cases[0]["effort"]["restatements"] == 1


def test_a_switch_from_a_contact_without_a_case_opens_one_for_both(
    client: TestClient, keys: Keys
) -> None:
    ago = (NOW - dt.timedelta(minutes=10)).isoformat()
    body = post(
        client,
        keys.integrator,
        [
            identified(),
            started("web-5", "web", time=ago),
            make_event(
                "message.posted",
                interaction_id="web-5",
                speaker="customer",
                text="I cannot log in to online banking since this morning.",
                time=ago,
            ),
        ],
    )
    cid = body["results"][0]["customer_id"]
    call = start_call(client, keys.agent)
    assert call["joined_case"] is not None
    [case] = call["card"]["open_cases"]
    assert case["title"] == "I cannot log in to online banking since this morning."
    assert case["effort_words"] == "second contact about this, changed channel once"
    in_case = {
        i["external_id"]: i["case_id"]
        for i in timeline(client, keys, cid)
        if i["kind"] == "interaction"
    }
    assert in_case["web-5"] == in_case[call["contact_id"]] == case["case_id"]


def test_no_switch_into_a_resolved_case(client: TestClient, keys: Keys) -> None:
    seed_miles(client, keys, NOW)
    post(
        client,
        keys.integrator,
        [make_event("case.resolved", case_id="case-9", time=NOW.isoformat())],
    )
    call = start_call(client, keys.agent)
    assert call["joined_case"] is None
    assert call["card"]["continuity"][0]["external_id"] == "chat-77"  # still leads the card


def contact_from(client: TestClient, keys: Keys, channel: str, phone: str) -> Any:
    body = {"channel": channel, "customer": {"identifiers": [{"kind": "phone", "value": phone}]}}
    return client.post("/v1/contacts", json=body, headers=keys.agent).json()


def test_no_switch_on_the_same_channel_or_outside_the_window(
    client: TestClient, keys: Keys
) -> None:
    people = []
    for n, minutes in ((1, 10), (2, 120)):
        email, phone = f"p{n}@example.org", f"+44 20 7946 011{n}"
        ref = {"identifiers": [{"kind": "email", "value": email, "verified": True}]}
        ref["identifiers"].append({"kind": "phone", "value": phone, "verified": True})
        when = (NOW - dt.timedelta(minutes=minutes)).isoformat()
        events = [
            make_event("customer.identified", customer=ref),
            make_event(
                "interaction.started",
                customer=ref,
                interaction_id=f"chat-p{n}",
                channel="chat",
                time=when,
            ),
        ]
        post(client, keys.integrator, events)
        people.append(phone)
    same_channel = contact_from(client, keys, "chat", people[0])
    assert same_channel["joined_case"] is None
    too_late = contact_from(client, keys, "voice", people[1])
    assert too_late["joined_case"] is None and too_late["card"]["open_cases"] == []


def test_an_open_case_nearby_wins_over_a_later_contact_without_one(
    client: TestClient, keys: Keys
) -> None:
    seed_miles(client, keys, NOW)
    post(
        client,
        keys.integrator,
        [started("app-9", "app", time=(NOW - dt.timedelta(minutes=1)).isoformat())],
    )
    call = start_call(client, keys.agent)
    assert call["joined_case"] == "case-9"
