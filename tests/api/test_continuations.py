"""Verified status that travels: a continuation code from the app carries the verification
into the call, once, for that customer only; guessing is stopped long before it can work."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.calls import seed_miles, start_call, verify_in_app
from tests.api.helpers import post
from tests.factories import Keys, customer, make_event
from warmline.actions.continuations import issue_code
from warmline.domain.access.roles import LOCAL_ADMIN
from warmline.domain.identity import continuation as rules
from warmline.storage import schema as t

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
MILES = customer(("email", "miles@example.org"))


def someone(client: TestClient, keys: Keys, email: str, phone: str, name: str) -> str:
    """Another customer, with a verified email and phone; returns their id."""
    ref = customer(("email", email, True), ("phone", phone, True), name=name)
    body = post(client, keys.integrator, [make_event("customer.identified", customer=ref)])
    return str(body["results"][0]["customer_id"])


def issue(client: TestClient, keys: Keys, cid: str, status: int = 201, **body: Any) -> Any:
    response = client.post(
        f"/v1/customers/{cid}/continuations",
        json=body or {"interaction_id": "app-1"},
        headers=keys.integrator,
    )
    assert response.status_code == status, response.text
    return response.json()


def present(client: TestClient, headers: dict[str, str], interaction: str, code: str) -> Any:
    return client.post(
        f"/v1/interactions/{interaction}/continuation", json={"code": code}, headers=headers
    )


def card_verifications(client: TestClient, keys: Keys, cid: str, interaction: str) -> Any:
    card = client.get(
        f"/v1/customers/{cid}/card",
        params={"channel": "voice", "interaction_id": interaction},
        headers=keys.agent,
    ).json()
    return card["verifications"]


def test_a_code_keyed_into_the_ivr_carries_the_app_verification_into_the_call(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    cid = seed_miles(client, keys, NOW)
    verify_in_app(client, keys)
    issued = issue(client, keys, cid)
    assert len(issued["code"]) == 8 and issued["code"].isdigit()
    assert issued["customer_id"] == cid
    call = start_call(client, keys.integrator, continuation_code=issued["code"])
    assert call["continuation"]["inherited"] is True
    carried = call["continuation"]["verification"]
    assert (carried["channel"], carried["level"]) == ("app", "strong")
    assert carried["text"].startswith("verified in the app 2 minutes ago (strong)")
    [here, *_] = [
        v for v in card_verifications(client, keys, cid, call["interaction_id"]) if v["carried"]
    ]
    assert here["applies_to_this_contact"] is True
    assert here["text"].startswith(
        "verified in the app 2 minutes ago (strong: app, fingerprint or face, by continuation code"
    )
    assert here["clock"] == dt.datetime.fromisoformat(here["at"]).strftime("%H:%M")
    # Carried, not asked again: the case counts no re-verification.
    case = client.get(f"/v1/customers/{cid}/card", headers=keys.agent).json()["open_cases"][0]
    assert case["effort"]["reverifications"] == 0
    # Only a slow hash of the code is stored; the code works once.
    with engine.connect() as conn:
        stored = conn.execute(sa.select(t.continuations)).mappings().one()
    assert issued["code"] not in str(dict(stored)) and stored["outcome"] == "redeemed"
    again = start_call(client, keys.integrator, continuation_code=issued["code"])
    assert again["continuation"]["inherited"] is False
    assert again["continuation"]["code"] == "continuation_code_used"


def test_a_caller_number_alone_never_carries_verification(client: TestClient, keys: Keys) -> None:
    cid = seed_miles(client, keys, NOW)
    verify_in_app(client, keys)
    call = start_call(client, keys.agent)
    [app] = card_verifications(client, keys, cid, call["interaction_id"])
    assert app["channel"] == "app" and app["applies_to_this_contact"] is False


def test_an_agent_types_in_the_code_the_customer_reads_out(client: TestClient, keys: Keys) -> None:
    cid = seed_miles(client, keys, NOW)
    verify_in_app(client, keys)
    code = issue(client, keys, cid)["code"]
    call = start_call(client, keys.agent)
    response = present(client, keys.agent, call["contact_id"], f"{code[:4]} {code[4:]}")
    assert response.status_code == 200, response.text
    assert response.json()["verification"]["level"] == "strong"
    verifications = card_verifications(client, keys, cid, call["interaction_id"])
    assert any(v["carried"] and v["applies_to_this_contact"] for v in verifications)
    used = present(client, keys.agent, call["contact_id"], code)
    assert (used.status_code, used.json()["code"]) == (409, "continuation_code_used")
    ended = present(client, keys.agent, "chat-77", code)
    assert (ended.status_code, ended.json()["code"]) == (409, "interaction_ended")


def test_expired_foreign_malformed_and_unknown_codes_are_refused(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    cid = seed_miles(client, keys, NOW)
    verify_in_app(client, keys, minutes=20)
    stale = issue_code(
        engine, LOCAL_ADMIN, cid, interaction_id="app-1", now=NOW - dt.timedelta(minutes=15)
    )
    call = start_call(client, keys.agent)
    expired = present(client, keys.agent, call["contact_id"], stale.code)
    assert (expired.status_code, expired.json()["code"]) == (409, "continuation_code_expired")
    malformed = present(client, keys.agent, call["contact_id"], "12ab")
    assert (malformed.status_code, malformed.json()["code"]) == (400, "continuation_code_malformed")

    # Ann calls with Miles's code (read over his shoulder): refused, and the code is burnt.
    someone(client, keys, "ann@example.org", "+44 20 7946 0111", "Ann Lee")
    fresh = issue(client, keys, cid)["code"]
    ann = client.post(
        "/v1/contacts",
        json={
            "channel": "voice",
            "customer": {"identifiers": [{"kind": "phone", "value": "+44 20 7946 0111"}]},
        },
        headers=keys.agent,
    ).json()
    other = present(client, keys.agent, ann["contact_id"], fresh)
    assert (other.status_code, other.json()["code"]) == (409, "continuation_other_customer")
    burnt = present(client, keys.agent, call["contact_id"], fresh)
    assert (burnt.status_code, burnt.json()["code"]) == (409, "continuation_code_revoked")

    unknown = client.post(
        "/v1/contacts",
        json={
            "channel": "voice",
            "customer": {"identifiers": [{"kind": "phone", "value": "+44 20 7946 0999"}]},
            "continuation_code": "00000000",
        },
        headers=keys.agent,
    ).json()
    assert unknown["continuation"]["code"] == "continuation_code_invalid"
    assert all(
        not v["applies_to_this_contact"]
        for v in card_verifications(client, keys, cid, call["interaction_id"])
    )


def test_issuing_needs_a_live_verification_of_that_customer(client: TestClient, keys: Keys) -> None:
    cid = seed_miles(client, keys, NOW)
    verify_in_app(client, keys, minutes=45)  # expired 15 minutes ago (30-minute default)
    assert issue(client, keys, cid, 409)["code"] == "assurance_expired"
    verify_in_app(client, keys, session="app-2")
    ann = someone(client, keys, "ann@example.org", "+44 20 7946 0111", "Ann Lee")
    assert (
        issue(client, keys, ann, 409, interaction_id="app-2")["code"]
        == "assurance_of_another_customer"
    )
    assert issue(client, keys, cid, 404, interaction_id="nope")["code"] == "interaction_not_found"
    assert issue(client, keys, cid, 404, interaction_id="chat-77")["code"] == "assurance_not_found"
    assert issue(client, keys, cid, 400, interaction_id="app-2", assurance_id="x")["code"] == (
        "invalid_continuation"
    )
    for _ in range(rules.ISSUE_LIMIT):
        issue(client, keys, cid, interaction_id="app-2")
    limited = client.post(
        f"/v1/customers/{cid}/continuations",
        json={"interaction_id": "app-2"},
        headers=keys.integrator,
    )
    assert (limited.status_code, limited.json()["code"]) == (429, "too_many_codes")
    assert limited.headers["Retry-After"] == "3600"
    agent = client.post(
        f"/v1/customers/{cid}/continuations", json={"interaction_id": "app-2"}, headers=keys.agent
    )
    assert agent.status_code == 403


def test_a_guessing_loop_is_stopped_long_before_it_can_succeed(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    """Against one customer: 5 wrong codes burn their codes and lock presentations; from one
    source: 10 wrong codes (for anyone) refuse that source. The arithmetic is in
    :mod:`warmline.domain.identity.continuation`; here the loop is actually run."""
    cid = seed_miles(client, keys, NOW)
    verify_in_app(client, keys)
    real = issue(client, keys, cid)["code"]
    call = start_call(client, keys.agent)
    guesses = (f"{n:08d}" for n in range(10**8) if f"{n:08d}" != real)
    answers = [present(client, keys.agent, call["contact_id"], next(guesses)) for _ in range(8)]
    codes = [(a.status_code, a.json()["code"]) for a in answers]
    assert codes[: rules.CUSTOMER_FAILURES] == [(400, "continuation_code_invalid")] * 5
    assert set(codes[rules.CUSTOMER_FAILURES :]) == {(429, "continuation_locked")}
    # The real code is now useless to the guesser (and to Miles: he verifies as usual).
    late = present(client, keys.agent, call["contact_id"], real)
    assert (late.status_code, late.json()["code"]) == (429, "continuation_locked")
    with engine.connect() as conn:
        outcome = conn.execute(sa.select(t.continuations.c.outcome)).scalar_one()
    assert outcome == "burnt_guesses"

    # The same source guessing across many customers' contacts is stopped at its own limit.
    refused = []
    for n in range(rules.SOURCE_FAILURES + 2):
        phone = f"+44 20 7946 {n:04d}"
        someone(client, keys, f"p{n}@example.org", phone, f"P {n}")
        other = client.post(
            "/v1/contacts",
            json={
                "channel": "voice",
                "customer": {"identifiers": [{"kind": "phone", "value": phone}]},
                "continuation_code": next(guesses),
            },
            headers=keys.agent,
        ).json()
        refused.append(other["continuation"]["code"])
    # 5 already from the Miles loop (the locked ones did not get as far as a guess).
    assert refused.count("continuation_code_invalid") == rules.SOURCE_FAILURES - 5
    assert refused[rules.SOURCE_FAILURES - 5 :] == ["too_many_code_attempts"] * 7
    assert rules.targeted_success_bound() < 1e-6
