"""Contact start and the context card: who this is, before saying hello."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.helpers import post
from tests.factories import Keys, customer, make_event, miles_story
from warmline.storage import schema as t


def now() -> dt.datetime:
    # Read when a test seeds its story, not when the module is imported: the card says
    # "4 minutes ago" against the clock, and a slow run of the tests before must not make it 5.
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def seed_miles(client: TestClient, keys: Keys) -> str:
    body = post(client, keys.integrator, miles_story(now()))
    return str(body["results"][0]["customer_id"])


def contact(client: TestClient, headers: dict[str, str], status: int = 201, **body: Any) -> Any:
    response = client.post("/v1/contacts", json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def test_a_call_after_a_chat_leads_with_continuity(client: TestClient, keys: Keys) -> None:
    cid = seed_miles(client, keys)
    body = contact(
        client,
        keys.agent,
        channel="voice",
        agent_id="dave",
        customer={"identifiers": [{"kind": "phone", "value": "020 7946 0958"}]},
    )
    assert body["recognised"] is True and body["customer_id"] == cid
    assert body["pushed_to"] == "dave"
    card = body["card"]
    who = card["customer"]
    assert (who["name"], who["address_as"], who["tenure_years"]) == ("Miles Okafor", "Miles", 10)
    assert who["traits"]["segment"]["value"] == "premier"
    first = card["continuity"][0]
    # One time for one contact: when it started, as the card's other lists say; the end apart.
    assert first["text"] == "was in chat 12 minutes ago about card declined"
    assert first["state"] == "ended 4 minutes ago, escalated"
    assert first["source"] == "chat-platform" and first["from"] == "the chat platform"
    assert [m["speaker"] for m in first["messages"]] == ["customer", "agent"]
    assert card["open_cases"][0]["title"] == "Card declined twice"
    commitment = card["open_commitments"][0]
    assert commitment["overdue"] is True and commitment["due"] == "overdue by 6 hours"
    # Words, not codes: the amount in the configured currency, the merchant in the sentence.
    assert (
        card["recent_activities"][0]["text"] == "card declined at Fuel & Go, £61.50 40 minutes ago"
    )
    assert card["recent_activities"][0]["source"] == "cards"
    assert card["recent_interactions"][0]["external_id"] == "chat-77"
    # The voice call itself is on the timeline now, recorded through the raw log.
    timeline = client.get(f"/v1/customers/{cid}/timeline", headers=keys.agent).json()
    assert timeline["items"][0]["channel"] == "voice"


def test_the_same_channel_is_not_continuity(client: TestClient, keys: Keys) -> None:
    seed_miles(client, keys)
    body = contact(
        client,
        keys.agent,
        channel="chat",
        customer={"identifiers": [{"kind": "email", "value": "miles@example.org"}]},
    )
    assert body["card"]["continuity"] == []


def test_an_unknown_caller_gets_an_honest_card(client: TestClient, keys: Keys) -> None:
    body = contact(
        client,
        keys.agent,
        channel="voice",
        customer={"identifiers": [{"kind": "phone", "value": "+44 20 7946 0123"}]},
    )
    card = body["card"]
    assert body["recognised"] is False and card["recognised"] is False
    assert card["customer"] is None and card["candidates"] == []
    assert "account" in card["how_to_identify"][0]
    assert card["presented"] == [{"kind": "phone", "value": "+44•••••0123"}]


def test_a_shared_number_shows_candidates_instead_of_guessing(
    client: TestClient, keys: Keys
) -> None:
    home = "+44 20 7946 0555"
    post(
        client,
        keys.integrator,
        [
            make_event(
                "customer.identified",
                customer=customer(
                    ("email", "ann@example.org", True), ("phone", home, True), name="Ann Lee"
                ),
            ),
            # The CRM vouches that Ben uses the same landline: shared, never a reason to merge.
            make_event(
                "customer.identified",
                customer=customer(
                    ("email", "ben@example.org", True), ("phone", home, True), name="Ben Lee"
                ),
            ),
        ],
    )
    holders = client.get(
        "/v1/customers", params={"identifier": f"phone:{home}"}, headers=keys.agent
    ).json()["customers"]
    assert sorted(c["name"] for c in holders) == ["Ann Lee", "Ben Lee"]
    body = contact(
        client,
        keys.agent,
        channel="voice",
        customer={"identifiers": [{"kind": "phone", "value": home}]},
    )
    card = body["card"]
    assert body["recognised"] is False and card["ambiguous"] is True
    assert sorted(c["name"] for c in card["candidates"]) == ["Ann Lee", "Ben Lee"]
    assert "tell them apart" in card["how_to_identify"][0]
    by_email = contact(
        client,
        keys.agent,
        channel="voice",
        customer={
            "identifiers": [
                {"kind": "phone", "value": home},
                {"kind": "email", "value": "ben@example.org"},
            ]
        },
    )
    assert by_email["recognised"] is True and by_email["card"]["customer"]["name"] == "Ben Lee"


def test_integrators_start_contacts_but_get_no_card(client: TestClient, keys: Keys) -> None:
    seed_miles(client, keys)
    body = contact(
        client,
        keys.integrator,
        channel="voice",
        agent_id="dave",
        customer={"identifiers": [{"kind": "phone", "value": "+442079460958"}]},
    )
    assert body["recognised"] is True and body["card"] is None
    card = client.get(f"/v1/customers/{body['customer_id']}/card", headers=keys.integrator)
    assert card.status_code == 403


def test_bad_contacts_say_what_is_wrong(client: TestClient, keys: Keys) -> None:
    cases = [
        (
            {
                "channel": "pigeon",
                "customer": {"identifiers": [{"kind": "phone", "value": "+442079460958"}]},
            },
            ("/channel", "invalid_value"),
        ),
        (
            {"channel": "voice", "customer": {"identifiers": []}},
            ("/customer/identifiers", "empty_value"),
        ),
        ({"channel": "voice"}, ("/customer", "missing_field")),
        (
            {"channel": "voice", "customer": {"identifiers": [{"kind": "Phone", "value": "123"}]}},
            ("/customer/identifiers/0", "invalid_identifier"),
        ),
    ]
    for body, expected in cases:
        problem = contact(client, keys.agent, status=400, **body)
        assert problem["code"] == "invalid_contact"
        assert expected in [(e["field"], e["code"]) for e in problem["errors"]], problem
    raw = client.post("/v1/contacts", content=b"{nope", headers=keys.agent)
    assert raw.json()["code"] == "invalid_json"


def test_card_endpoint_and_conversation(client: TestClient, keys: Keys, engine: Engine) -> None:
    cid = seed_miles(client, keys)
    card = client.get(f"/v1/customers/{cid}/card", params={"channel": "voice"}, headers=keys.agent)
    assert card.status_code == 200
    assert card.json()["continuity"][0]["external_id"] == "chat-77"
    conversation = client.get("/v1/interactions/chat-77", headers=keys.agent).json()
    assert [m["speaker"] for m in conversation["messages"]] == ["customer", "agent"]
    missing = client.get("/v1/interactions/nope", headers=keys.agent)
    assert (missing.status_code, missing.json()["code"]) == (404, "interaction_not_found")
    bad_channel = client.get(
        f"/v1/customers/{cid}/card", params={"channel": "fax"}, headers=keys.agent
    )
    assert bad_channel.status_code == 400


def test_the_cards_parameters_are_checked_after_its_key(client: TestClient, keys: Keys) -> None:
    # The card's usual request skips FastAPI's solving; anything else is FastAPI's to answer,
    # in the same order as every route: the key first, then the parameters.
    cid = seed_miles(client, keys)
    path = f"/v1/customers/{cid}/card"
    for params, field in (
        ({"channel": "fax"}, "query/channel"),
        ({"channel": ""}, "query/channel"),
        ({"interaction_id": "x" * 201}, "query/interaction_id"),
    ):
        refused = client.get(path, params=params, headers=keys.agent)
        assert refused.status_code == 400, params
        problem = refused.json()
        assert problem["code"] == "invalid_parameter"
        assert [e["field"] for e in problem["errors"]] == [field]
        assert client.get(path, params=params).json()["code"] == "missing_key"
        assert client.get(path, params=params, headers=keys.integrator).status_code == 403
    assert client.get(path, params={"channel": "voice"}).json()["code"] == "missing_key"
    assert (
        client.get(path, params={"channel": "voice"}, headers=keys.integrator).json()["code"]
        == "forbidden"
    )
    # Repeated, the last one counts (as FastAPI reads a query); unknown ones are ignored.
    both = client.get(f"{path}?channel=fax&channel=voice&other=1", headers=keys.agent)
    assert both.status_code == 200 and both.json()["customer"]["id"] == cid
    longest = client.get(path, params={"interaction_id": "x" * 200}, headers=keys.agent)
    assert longest.status_code == 200
    missing = client.get("/v1/customers/cus_nobody/card", headers=keys.agent)
    assert (missing.status_code, missing.json()["code"]) == (404, "customer_not_found")


def test_a_card_takes_a_fixed_number_of_queries(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    cid = seed_miles(client, keys)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    from warmline.domain.card.context import CardContext
    from warmline.storage.card_queries import load_card

    with engine.connect() as conn:  # warm the per-process caches (models in force)
        load_card(conn, cid, CardContext(now=now(), channel="voice"))
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        with engine.connect() as conn:
            card = load_card(conn, cid, CardContext(now=now(), channel="voice"))
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert card is not None and len(card["continuity"]) == 1
    # customer, interactions, cases, commitments, activities, assurances, merge suggestions,
    # recent messages (style) + one per continuity item
    assert len(statements) == 9, statements
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.desk_pushes)).scalar_one() == 0


def test_a_birthday_shows_only_with_consent(client: TestClient, keys: Keys) -> None:
    born = now().date().replace(year=1980).isoformat()
    ref = customer(("email", "ann@example.org", True))
    cid = post(
        client,
        keys.integrator,
        [
            make_event(
                "customer.identified",
                customer=customer(
                    ("email", "ann@example.org", True), name="Ann Lee", date_of_birth=born
                ),
            ),
        ],
    )["results"][0]["customer_id"]

    def moments() -> list[str]:
        card = client.get(f"/v1/customers/{cid}/card", headers=keys.agent).json()
        return [m["text"] for m in card["moments"]]

    assert moments() == []  # no consent recorded: nothing
    post(
        client,
        keys.integrator,
        [
            make_event(
                "consent.updated",
                customer=ref,
                purpose="personalisation",
                granted=True,
                source="mobile-app",
                time=now().isoformat(),
            )
        ],
    )
    assert moments() == ["Birthday today"]
    later = (now() + dt.timedelta(seconds=1)).isoformat()
    post(
        client,
        keys.integrator,
        [
            make_event(
                "consent.updated",
                customer=ref,
                purpose="personalisation",
                granted=False,
                time=later,
            )
        ],
    )
    assert moments() == []


def test_a_promise_due_before_its_case_was_opened_is_not_called_overdue(
    client: TestClient, keys: Keys
) -> None:
    ann = customer(("email", "ann@example.org", True), name="Ann Lee")
    opened = now() - dt.timedelta(hours=1)
    post(
        client,
        keys.integrator,
        [
            make_event("customer.identified", customer=ann, time=opened.isoformat()),
            make_event(
                "case.opened",
                customer=ann,
                case_id="case-1",
                title="Refund",
                time=opened.isoformat(),
            ),
            make_event(
                "commitment.made",
                case_id="case-1",
                commitment_id="cmt-1",
                text="Send the refund",
                due_at=(opened - dt.timedelta(days=2)).isoformat(),
                time=opened.isoformat(),
            ),
        ],
    )
    cid = client.get(
        "/v1/customers", params={"identifier": "email:ann@example.org"}, headers=keys.agent
    ).json()["customers"][0]["id"]
    (promise,) = client.get(f"/v1/customers/{cid}/card", headers=keys.agent).json()[
        "open_commitments"
    ]
    assert promise["overdue"] is False
    assert promise["due"] == "due before its case was opened: check the dates"
