"""Checking in at a branch: the app's QR code carries its verification to the counter; a
phone number with an SMS code; every bad code refused with its own code and what to do."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.branch_calls import (
    MILES_PHONE,
    add_branch,
    call_next,
    check_in,
    checkin_code,
    miles,
    phone_check_in,
    stub_sms,
)
from tests.api.calls import verify_in_app
from tests.factories import Keys
from warmline.actions.checkin_codes import issue_checkin_code
from warmline.actions.signing import signing_key
from warmline.domain.access.roles import LOCAL_ADMIN
from warmline.domain.branch import checkin_code as codes
from warmline.storage import schema as t


def test_a_qr_check_in_carries_the_apps_verification_to_the_counter(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    add_branch(client, keys)
    cid = miles(client, keys, preferred_name="Miles")
    verify_in_app(client, keys)
    issued = checkin_code(client, keys, cid)
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", issued["code"])
    assert issued["qr_svg"].startswith("<svg") and "path" in issued["qr_svg"]
    ticket = check_in(
        client, keys, code=issued["code"].lower(), service="everyday", reason="Card declined"
    )
    assert ticket["ticket"] == "A001" and ticket["first_name"] == "Miles"
    assert ticket["verified"] is True and ticket["guest"] is False
    # The kiosk learns a first name and a ticket, nothing else about him.
    assert not {"customer_id", "name", "identifiers", "card"} & set(ticket)
    called = call_next(client, keys.agent)
    assert called["visit"]["ticket"] == "A001" and called["pushed_to"] == "test-agent"
    card = called["card"]
    assert card["customer"]["name"] == "Miles Okafor"
    now_ = card["now"]
    assert now_["channel"] == "branch" and now_["agent_id"] == "test-agent"
    this_contact = [v for v in card["verifications"] if v["applies_to_this_contact"]]
    assert len(this_contact) == 1
    assert this_contact[0]["level"] == "strong" and this_contact[0]["carried"]
    assert this_contact[0]["method"] == "app_biometric, by check-in code"
    assert "verified in the app" in this_contact[0]["text"]
    with engine.connect() as conn:
        row = (
            conn.execute(
                sa.select(t.interactions).where(t.interactions.c.id == called["interaction_id"])
            )
            .mappings()
            .one()
        )
        stored = conn.execute(sa.select(t.checkin_codes)).mappings().one()
    assert row["verified_by"] == "continuation" and row["subject"] == "Card declined"
    # Only the code's random half is kept: the signature that makes it work is not.
    code_id, mac = codes.parse_code(issued["code"]) or (b"", b"")
    kept = " ".join(str(v) for v in stored.values() if isinstance(v, str))
    assert stored["id"] == code_id.hex() and mac.hex() not in kept
    assert stored["used_at"] is not None and stored["visit_id"] == called["visit"]["id"]


def test_bad_qr_codes_are_refused_each_with_its_own_code(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    add_branch(client, keys)
    add_branch(client, keys, "leeds", name="Leeds")
    cid = miles(client, keys)
    verify_in_app(client, keys)
    used = checkin_code(client, keys, cid)["code"]
    check_in(client, keys, code=used, service="everyday")
    reused = check_in(client, keys, 409, code=used, service="everyday")
    assert reused["code"] == "checkin_code_used" and reused["hint"]
    fresh = checkin_code(client, keys, cid)["code"]
    # One character of the signature changed: the code no longer verifies.
    last = fresh[-1]
    tampered = fresh[:-1] + ("0" if last != "0" else "1")
    refused = check_in(client, keys, 400, code=tampered, service="everyday")
    assert refused["code"] == "checkin_code_tampered"
    unknown = check_in(client, keys, 404, code="0000-0000-" + fresh[10:], service="everyday")
    assert unknown["code"] == "checkin_code_invalid"
    malformed = check_in(client, keys, 400, code="hello", service="everyday")
    assert malformed["code"] == "checkin_code_malformed"
    elsewhere = check_in(client, keys, 409, branch="leeds", code=fresh, service="everyday")
    assert elsewhere["code"] == "checkin_code_other_branch"
    assert "another branch" in elsewhere["detail"]
    # A code issued eleven minutes ago has expired.
    stale = issue_checkin_code(
        engine,
        LOCAL_ADMIN,
        cid,
        branch="soho",
        key=signing_key(engine, None),
        interaction_id="app-1",
        now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11),
    )
    expired = check_in(client, keys, 409, code=stale.code, service="everyday")
    assert expired["code"] == "checkin_code_expired"
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.visits)).scalar() == 1


def test_a_code_is_for_an_existing_branch_and_a_live_verification(
    client: TestClient, keys: Keys
) -> None:
    add_branch(client, keys)
    cid = miles(client, keys)
    assert checkin_code(client, keys, cid, 404)["code"] == "interaction_not_found"
    unknown = checkin_code(client, keys, cid, 404, interaction_id=None, assurance_id="asr_x")
    assert unknown["code"] == "assurance_not_found"
    verify_in_app(client, keys, minutes=40)  # a verification lasts 30 minutes
    assert checkin_code(client, keys, cid, 409)["code"] == "assurance_expired"
    verify_in_app(client, keys, session="app-2")
    nowhere = checkin_code(client, keys, cid, 404, branch="atlantis", interaction_id="app-2")
    assert nowhere["code"] == "branch_not_found"
    for _ in range(5):
        checkin_code(client, keys, cid, interaction_id="app-2")
    limited = checkin_code(client, keys, cid, 429, interaction_id="app-2")
    assert limited["code"] == "too_many_checkin_codes"


def test_a_phone_check_in_greets_a_customer_by_first_name_only(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    add_branch(client, keys)
    sender = stub_sms(client)
    cid = miles(client, keys)
    ticket = phone_check_in(client, keys, sender, reason="Paying in")
    assert ticket["first_name"] == "Miles" and ticket["guest"] is False
    assert ticket["ticket"] == "A001" and ticket["estimated_wait"]
    assert sender.sent[0][0] == "+442079460958"
    assert "Nobody from the bank will ever ask you for it" in sender.sent[0][1]
    with engine.connect() as conn:
        stored = conn.execute(sa.select(t.phone_codes)).mappings().one()
        audit = conn.execute(
            sa.select(t.audit_log.c.action, t.audit_log.c.customer_id).where(
                t.audit_log.c.action == "visit.checked_in"
            )
        ).all()
    # Neither the code nor the number is kept.
    kept = " ".join(str(v) for v in stored.values() if isinstance(v, str))
    assert sender.last_code() not in kept and "2079460958" not in kept
    assert audit == [("visit.checked_in", cid)]
    called = call_next(client, keys.agent)
    mine = [v for v in called["card"]["verifications"] if v["applies_to_this_contact"]]
    assert [(v["level"], v["method"]) for v in mine] == [("weak", "sms_otp")]


def test_wrong_expired_and_reused_phone_codes_are_refused(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    add_branch(client, keys)
    sender = stub_sms(client)
    miles(client, keys)
    sent = client.post(
        "/v1/branches/soho/phone-codes", json={"phone": MILES_PHONE}, headers=keys.kiosk
    ).json()
    right = sender.last_code()
    wrong = "000000" if right != "000000" else "111111"

    def attempt(code: str, status: int) -> dict[str, object]:
        return dict(
            check_in(
                client,
                keys,
                status,
                phone=MILES_PHONE,
                service="everyday",
                phone_code_id=sent["phone_code_id"],
                phone_code=code,
            )
        )

    first = attempt(wrong, 400)
    assert first["code"] == "phone_code_wrong" and first["tries_left"] == 4
    assert attempt("12", 400)["code"] == "phone_code_malformed"
    assert attempt(right, 201)["ticket"] == "A001"
    assert attempt(right, 409)["code"] == "phone_code_used"
    # Another code, left too long.
    sent = client.post(
        "/v1/branches/soho/phone-codes", json={"phone": MILES_PHONE}, headers=keys.kiosk
    ).json()
    with engine.begin() as conn:
        conn.execute(
            t.phone_codes.update()
            .where(t.phone_codes.c.id == sent["phone_code_id"])
            .values(expires_at=dt.datetime.now(dt.UTC))
        )
    assert attempt(sender.last_code(), 409)["code"] == "phone_code_expired"
    # Five wrong tries burn a code, even the right one after them.
    sent = client.post(
        "/v1/branches/soho/phone-codes", json={"phone": MILES_PHONE}, headers=keys.kiosk
    ).json()
    right = sender.last_code()
    wrong = "000000" if right != "000000" else "111111"
    lefts = [attempt(wrong, 400)["tries_left"] for _ in range(5)]
    assert lefts == [4, 3, 2, 1, 0]
    assert attempt(right, 429)["code"] == "phone_code_locked"
    # Three codes a number an hour.
    refused = client.post(
        "/v1/branches/soho/phone-codes", json={"phone": MILES_PHONE}, headers=keys.kiosk
    )
    assert (refused.status_code, refused.json()["code"]) == (429, "too_many_phone_codes")
    bad = client.post("/v1/branches/soho/phone-codes", json={"phone": "1234"}, headers=keys.kiosk)
    assert (bad.status_code, bad.json()["code"]) == (400, "phone_invalid")


def test_an_unknown_number_checks_in_as_a_guest_linked_later_at_the_counter(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    add_branch(client, keys)
    sender = stub_sms(client)
    cid = miles(client, keys)
    guest = phone_check_in(client, keys, sender, "07911 123456")
    assert guest["guest"] is True and guest["first_name"] is None
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.visits)).mappings().one()
    assert row["guest"] and row["guest_phone"] == "+447911123456" and row["customer_id"] is None
    called = call_next(client, keys.agent)
    assert called["recognised"] is False and called["card"]["recognised"] is False
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.visits)).mappings().one()
    assert row["guest_phone"] is None and row["customer_id"] == called["customer_id"]
    linked = client.post(
        f"/v1/visits/{row['id']}/link", json={"customer_id": cid}, headers=keys.agent
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["into_id"] == cid
    found = client.get(
        "/v1/customers", params={"identifier": "phone:07911 123456"}, headers=keys.agent
    ).json()
    assert [c["id"] for c in found["customers"]] == [cid]
    timeline = client.get(f"/v1/customers/{cid}/timeline", headers=keys.agent).json()
    assert any(i.get("channel") == "branch" for i in timeline["items"])
    again = client.post(
        f"/v1/visits/{row['id']}/link", json={"customer_id": cid}, headers=keys.agent
    )
    assert again.json()["code"] == "visit_linked"


def test_a_number_back_again_unlinked_is_still_a_guest_and_links_every_visit(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    """The first guest visit left a record holding the number, with no name: coming back,
    the customer is still a guest to staff (linkable), and the visit joins that record."""
    add_branch(client, keys)
    sender = stub_sms(client)
    cid = miles(client, keys)
    first = phone_check_in(client, keys, sender, "07911 123456")
    first_call = call_next(client, keys.agent)
    done = client.post(
        f"/v1/visits/{first['visit_id']}/finish",
        json={"outcome": "unresolved", "summary": "Could not say who they were."},
        headers=keys.agent,
    )
    assert done.status_code == 200, done.text
    again = phone_check_in(client, keys, sender, "07911 123456")
    assert again["guest"] is True and again["first_name"] is None and again["verified"] is True
    called = call_next(client, keys.agent)
    assert called["visit"]["ticket"] == again["ticket"]
    assert called["recognised"] is False and called["card"]["recognised"] is False
    # Both visits are on the one record the number made, so one link brings both.
    assert called["customer_id"] == first_call["customer_id"]
    linked = client.post(
        f"/v1/visits/{again['visit_id']}/link", json={"customer_id": cid}, headers=keys.agent
    )
    assert linked.status_code == 200, linked.text
    timeline = client.get(f"/v1/customers/{cid}/timeline", headers=keys.agent).json()
    assert len([i for i in timeline["items"] if i.get("channel") == "branch"]) == 2
    # Linked, the number is Miles's: next time he is greeted by name.
    third = phone_check_in(client, keys, sender, "07911 123456")
    assert third["guest"] is False and third["first_name"] == "Miles"


def test_check_in_needs_one_way_and_a_known_service(client: TestClient, keys: Keys) -> None:
    add_branch(client, keys)
    both = check_in(client, keys, 400, code="x", appointment="y")
    assert both["code"] == "invalid_checkin"
    assert check_in(client, keys, 400, phone=MILES_PHONE)["code"] == "invalid_checkin"
    missing = check_in(client, keys, 404, branch="nowhere", code="x")
    assert missing["code"] == "branch_not_found"
    cid = miles(client, keys)
    verify_in_app(client, keys)
    code = checkin_code(client, keys, cid)["code"]
    unknown = check_in(client, keys, 400, code=code, service="yachts")
    assert unknown["code"] == "service_not_found" and "everyday" in unknown["hint"]
    # Refused before the code was used: it still works.
    assert check_in(client, keys, code=code, service="mortgages")["ticket"] == "M001"
