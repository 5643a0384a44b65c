"""Pre-filled forms over the API: what is on record with its source and age, confirmations
and corrections as facts from the customer, links, and what an agent's card shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from tests.factories import Keys, customer, make_event
from warmline.config import Settings
from warmline.demo.world import FORMS_DIR

NOW = dt.datetime.now(dt.UTC)
ELENA = customer(("customer_number", "C-10442", True), ("email", "elena@example.org", True))


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        database_url=db_url,
        sqlite_synchronous="OFF",
        forms_dir=str(FORMS_DIR),
        link_secret=SecretStr("k" * 40),
    )


def ago(days: float) -> str:
    return (NOW - dt.timedelta(days=days)).isoformat()


def seed(client: TestClient, keys: Keys) -> str:
    events = [
        make_event(
            "customer.identified",
            source="mobile-app",
            time=ago(760),
            customer={
                **ELENA,
                "traits": {"name": "Elena Marsh", "address": "14 Orchard Row, Leeds",
                           "postcode": "LS6 2QT", "contact_preference": "app"},
            },
        ),
        make_event(
            "customer.identified",
            source="phones",
            time=ago(30),
            customer={**ELENA, "identifiers": [*ELENA["identifiers"],
                                                {"kind": "phone", "value": "020 7946 0758"}]},
        ),
    ]  # fmt: skip
    response = client.post("/v1/events", json=events, headers=keys.integrator)
    assert {r["status"] for r in response.json()["results"]} == {"accepted"}
    found = client.get("/v1/customers?identifier=customer_number:C-10442", headers=keys.admin)
    return str(found.json()["customers"][0]["id"])


def fields(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["field"]: f for f in body["fields"]}


def test_a_form_comes_pre_filled_with_source_age_and_what_is_stale(
    client: TestClient, keys: Keys
) -> None:
    cid = seed(client, keys)
    body = client.get(f"/v1/customers/{cid}/prefill/change_of_address", headers=keys.admin).json()
    got = fields(body)
    assert got["address"]["value"] == "14 Orchard Row, Leeds"
    assert got["address"]["source"] == "mobile-app" and got["address"]["provenance"] == "record"
    assert got["address"]["age_days"] == 760 and got["address"]["stale"] is True
    assert got["phone"]["value"] == "+442079460758" and got["phone"]["stale"] is False
    assert got["years_at_address"]["why_stale"] == "nothing on record"
    assert set(body["stale"]) == {
        "address", "postcode", "years_at_address", "contact_preference", "email",
    }  # fmt: skip
    # An agent sees sensitive values masked; an integrator only once it says the customer
    # is verified in its session (its key may verify).
    agent = fields(
        client.get(f"/v1/customers/{cid}/prefill/change_of_address", headers=keys.agent).json()
    )
    assert agent["phone"]["value"] == "•••• 58" and agent["phone"]["masked"] is True
    assert agent["address"]["value"] == "•• Orchard Row, Leeds"
    signed_in = client.get(
        f"/v1/customers/{cid}/prefill/change_of_address?verification=strong",
        headers=keys.integrator,
    )
    assert fields(signed_in.json())["phone"]["value"] == "+442079460758"
    audit = client.get(f"/v1/audit?customer_id={cid}", headers=keys.auditor).json()
    assert any(e["action"] == "prefill.viewed" for e in audit["entries"])


def test_confirmations_and_corrections_become_facts_from_the_customer(
    client: TestClient, keys: Keys
) -> None:
    cid = seed(client, keys)
    url = f"/v1/customers/{cid}/prefill/change_of_address/confirm"
    answers = [
        {"field": "address", "value": "2 Canal Wharf, Leeds"},
        {"field": "postcode", "value": "ls1 4ab"},
        {"field": "contact_preference"},
        {"field": "email"},
        {"field": "years_at_address", "value": "many"},
        {"field": "shoe_size", "value": "9"},
    ]
    body = client.post(
        url, json={"answers": answers, "verification": "strong"}, headers=keys.integrator
    ).json()
    assert [(r["field"], r["corrected"]) for r in body["recorded"]] == [
        ("address", True), ("postcode", True), ("contact_preference", False), ("email", False),
    ]  # fmt: skip
    assert {r["field"]: r["code"] for r in body["rejected"]} == {
        "years_at_address": "invalid_value",
        "shoe_size": "unknown_field",
    }
    got = fields(
        client.get(f"/v1/customers/{cid}/prefill/change_of_address", headers=keys.admin).json()
    )
    assert got["postcode"]["value"] == "LS1 4AB" and got["postcode"]["provenance"] == "customer"
    assert got["address"]["stale"] is False and got["address"]["confirmed_at"]
    assert got["contact_preference"]["confirmed_at"] and got["email"]["confirmed_at"]
    # A system of record sending an older address later does not undo what the customer said.
    late = make_event(
        "customer.identified",
        source="crm",
        time=ago(0),
        customer={**ELENA, "traits": {"address": "14 Orchard Row, Leeds"}},
    )
    client.post("/v1/events", json=[late], headers=keys.integrator)
    profile = client.get(f"/v1/customers/{cid}", headers=keys.admin).json()
    assert profile["traits"]["address"]["value"] == "2 Canal Wharf, Leeds"
    # Every value the address has had is in the export, with who recorded it.
    export = client.get(f"/v1/customers/{cid}/export", headers=keys.admin).json()
    history = [
        (f["value"], f["kind"], f["recorded_by"]) for f in export["facts"] if f["key"] == "address"
    ]
    assert ("2 Canal Wharf, Leeds", "customer", "test-integrator") in history
    assert ("14 Orchard Row, Leeds", "record", None) in history
    timeline = client.get(f"/v1/customers/{cid}/timeline", headers=keys.admin).json()["items"]
    said = [i for i in timeline if i.get("name") == "profile.confirmed"]
    assert said and "corrected address, postcode" in said[0]["summary"]


def test_sensitive_fields_need_a_verified_session_and_a_key_that_may_say_so(
    client: TestClient, keys: Keys
) -> None:
    cid = seed(client, keys)
    url = f"/v1/customers/{cid}/prefill/change_of_address/confirm"
    refused = client.post(
        url,
        json={"answers": [{"field": "address", "value": "1 New St, Leeds"}]},
        headers=keys.integrator,
    )
    assert refused.status_code == 422 and refused.json()["code"] == "nothing_recorded"
    assert refused.json()["rejected"][0]["code"] == "verification_required"
    assert "verify them first" in refused.json()["rejected"][0]["message"]
    _, weak_key = _key(client, "web-form")
    claimed = client.post(
        url, json={"answers": [{"field": "email"}], "verification": "strong"}, headers=weak_key
    )
    assert claimed.status_code == 403 and claimed.json()["code"] == "verify_not_allowed"
    nothing = client.post(
        url, json={"answers": [{"field": "years_at_address"}]}, headers=keys.integrator
    )
    assert nothing.json()["rejected"][0]["code"] == "nothing_to_confirm"
    unknown = client.get(f"/v1/customers/{cid}/prefill/mortgage", headers=keys.admin)
    assert unknown.status_code == 404 and unknown.json()["code"] == "form_not_found"
    assert "change_of_address" in unknown.json()["hint"]
    agent = client.post(url, json={"answers": [{"field": "email"}]}, headers=keys.agent)
    assert agent.status_code == 403


def _key(client: TestClient, name: str) -> tuple[str, dict[str, str]]:
    from warmline.actions.keys import create_key

    engine = client.app.state.engine  # type: ignore[attr-defined]
    _, key = create_key(engine, role="integrator", name=name, may_verify=False)
    return key, {"Authorization": f"Bearer {key}"}


def test_a_link_is_signed_and_refused_without_a_secret(
    client: TestClient, keys: Keys, settings: Settings, engine: Engine
) -> None:
    cid = seed(client, keys)
    made = client.post(f"/v1/customers/{cid}/prefill/loan_application/link", headers=keys.agent)
    assert made.status_code == 201
    link = made.json()
    assert link["url"].startswith("http://testserver/confirm/") and link["verification"] == "none"
    page = client.get(link["url"])
    assert page.status_code == 200 and "Is this still right?" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert "14 Orchard Row" not in page.text and "Orchard Row" in page.text  # number hidden
    tampered = client.get(link["url"][:-3] + "abc")
    assert tampered.status_code == 403 and "link_tampered" in tampered.text
    from warmline.app import create_app

    bare = Settings(
        database_url=settings.database_url, sqlite_synchronous="OFF", forms_dir=str(FORMS_DIR)
    )
    with TestClient(create_app(bare, engine)) as other:
        refused = other.post(
            f"/v1/customers/{cid}/prefill/loan_application/link", headers=keys.agent
        )
    assert refused.status_code == 503 and refused.json()["code"] == "link_secret_missing"
    assert "WARMLINE_LINK_SECRET" in refused.json()["hint"]


def test_the_card_shows_moments_and_the_stale_fields_of_the_form_a_contact_is_about(
    client: TestClient, keys: Keys
) -> None:
    cid = seed(client, keys)
    events = [
        make_event("activity", source="loans", time=ago(0.1), customer=ELENA,
                   name="loan.approved", attributes={"purpose": "car"}),
        make_event("interaction.started", source="chat", time=ago(0.001), customer=ELENA,
                   interaction_id="chat-elena-1", channel="chat"),
        make_event("message.posted", source="chat", time=ago(0.0005),
                   interaction_id="chat-elena-1", speaker="customer",
                   text="I moved house last week and need to change my address."),
    ]  # fmt: skip
    client.post("/v1/events", json=events, headers=keys.integrator)
    card = client.get(f"/v1/customers/{cid}/card", headers=keys.agent).json()
    assert card["moments"][0]["rule"] == "happy_driving"
    assert card["moments"][0]["text"].startswith("Car loan approved")
    (form,) = card["forms"]
    assert form["form"] == "change_of_address"
    assert {s["field"] for s in form["stale"]} == {
        "Home address", "Postcode", "Years at this address", "How you like us to contact you",
        "Email",
    }  # fmt: skip
    grief = make_event(
        "activity", source="crm", time=ago(0.05), customer=ELENA, name="life_event.bereavement"
    )
    client.post("/v1/events", json=[grief], headers=keys.integrator)
    card = client.get(f"/v1/customers/{cid}/card", headers=keys.agent).json()
    assert [m["rule"] for m in card["moments"]] == ["life_event_care"]
