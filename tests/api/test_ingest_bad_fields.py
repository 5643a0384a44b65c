"""One bad field never loses an event: identifiers kept as written or left out, traits
left out, each with a warning; the rest of the event stored."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.helpers import post
from tests.factories import Keys, customer, identified
from warmline.storage import schema as t


def lookup(client: TestClient, keys: Keys, identifier: str) -> list[str]:
    response = client.get("/v1/customers", params={"identifier": identifier}, headers=keys.admin)
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["customers"]]


def profile(client: TestClient, keys: Keys, customer_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/customers/{customer_id}", headers=keys.admin)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def warnings_of(item: dict[str, Any]) -> list[tuple[str, str]]:
    return [(w["field"], w["code"]) for w in item.get("warnings", [])]


def test_a_phone_number_in_a_range_not_in_use_is_kept_normalised_and_marked(
    client: TestClient, keys: Keys
) -> None:
    # 07700 900xxx is a real shape that phonenumbers calls invalid for GB (not allocated).
    first = identified(customer(("phone", "07700 900123"), name="Ann Lee", postcode="LS1 4AB"))
    body = post(client, keys.integrator, [first])
    item = body["results"][0]
    assert (item["status"], body["warned"]) == ("accepted", 1)
    assert warnings_of(item) == [("/data/customer/identifiers/0", "phone_not_valid_for_region")]
    assert "+447700900123" in item["warnings"][0]["reason"]
    # Written another way, the same number names the same customer.
    again = post(client, keys.integrator, [identified(customer(("phone", "+44 7700 900 123")))])
    assert again["results"][0]["customer_id"] == item["customer_id"]
    assert again["results"][0]["resolution"] == "known"
    assert lookup(client, keys, "phone:07700900123") == [item["customer_id"]]
    held = profile(client, keys, item["customer_id"])
    assert [(i["value"], i["quality"]) for i in held["identifiers"]] == [
        ("+447700900123", "not_valid_for_region")
    ]
    assert held["name"] == "Ann Lee" and held["traits"]["postcode"]["value"] == "LS1 4AB"


def test_a_value_that_will_not_normalise_is_kept_as_written_and_matches_itself(
    client: TestClient, keys: Keys
) -> None:
    event = identified(
        customer(("email", "ann.lee@", True), name="Ann Lee", date_of_birth="1984-03-02")
    )
    item = post(client, keys.integrator, [event])["results"][0]
    assert item["status"] == "accepted"
    assert warnings_of(item) == [("/data/customer/identifiers/0", "invalid_identifier")]
    assert "kept as written and unverified" in item["warnings"][0]["reason"]
    held = profile(client, keys, item["customer_id"])
    assert [(i["value"], i["verified"], i["quality"]) for i in held["identifiers"]] == [
        ("ann.lee@", False, "unnormalised")
    ]
    assert held["traits"]["date_of_birth"]["value"] == "1984-03-02"
    # The very same text finds and names her; nothing else is made of it.
    assert lookup(client, keys, "email:ann.lee@") == [item["customer_id"]]
    same = post(client, keys.integrator, [identified(customer(("email", "ann.lee@")))])
    assert same["results"][0]["customer_id"] == item["customer_id"]
    other = post(client, keys.integrator, [identified(customer(("email", "ann.lee@x")))])
    assert other["results"][0]["customer_id"] != item["customer_id"]


def test_text_kept_as_written_names_nobody_once_two_people_wrote_it(
    client: TestClient, keys: Keys
) -> None:
    placeholder = ("email", "n/a")
    ann = post(client, keys.integrator, [identified(customer(placeholder, name="Ann Lee"))])
    bob = post(
        client,
        keys.integrator,
        [identified(customer(placeholder, ("email", "bob@example.org", True), name="Bob Ray"))],
    )
    assert bob["results"][0]["customer_id"] != ann["results"][0]["customer_id"]
    # Two records hold "n/a" now: like a shared landline, it names nobody on its own.
    alone = post(client, keys.integrator, [identified(customer(placeholder))])
    assert alone["results"][0]["resolution"] == "ambiguous"


HOSTILE: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    (
        "email with no domain",
        customer(("email", "miles@"), ("phone", "020 7946 0958")),
        [("/data/customer/identifiers/0", "invalid_identifier")],
    ),
    (
        "phone of letters",
        customer(("phone", "call me on my mobile"), ("email", "m@example.org")),
        [("/data/customer/identifiers/0", "invalid_identifier")],
    ),
    (
        "account number with punctuation",
        customer(("account_number", "12;DROP TABLE"), ("email", "m@example.org")),
        [("/data/customer/identifiers/0", "invalid_identifier")],
    ),
    (
        "device with control characters",
        customer(("device", "tab\x07let"), ("email", "m@example.org")),
        [("/data/customer/identifiers/0", "invalid_identifier")],
    ),
    (
        "identifier of 300 characters",
        customer(("device", "x" * 300), ("email", "m@example.org")),
        [("/data/customer/identifiers/0/value", "too_long")],
    ),
    (
        "identifier kind of spaces",
        customer(("Phone Number", "020 7946 0958"), ("email", "m@example.org")),
        [("/data/customer/identifiers/0", "invalid_identifier")],
    ),
    (
        "a 10,000-character name",
        customer(("email", "m@example.org"), name="M" * 10_000, postcode="LS1 4AB"),
        [("/data/customer/traits/name", "too_long")],
    ),
    (
        "a birth date in the future",
        customer(("email", "m@example.org"), name="Mo Li", date_of_birth="2090-01-01"),
        [("/data/customer/traits/date_of_birth", "implausible_date")],
    ),
    (
        "a birth date before 1900",
        customer(("email", "m@example.org"), name="Mo Li", date_of_birth="1066-10-14"),
        [("/data/customer/traits/date_of_birth", "implausible_date")],
    ),
    (
        "a birth date that is no date",
        customer(("email", "m@example.org"), name="Mo Li", date_of_birth="1980-02-31"),
        [("/data/customer/traits/date_of_birth", "invalid_date")],
    ),
    (
        "a postcode of markup",
        customer(("email", "m@example.org"), name="Mo Li", postcode="<b>LS1</b>"),
        [("/data/customer/traits/postcode", "invalid_postcode")],
    ),
    (
        "a trait of the sender's own that is an object",
        customer(("email", "m@example.org"), name="Mo Li", tier={"level": 3}),
        [("/data/customer/traits/tier", "invalid_value")],
    ),
]


@pytest.mark.parametrize(("bad", "ref", "expected"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_field_is_a_warning_and_the_event_is_stored(
    client: TestClient,
    keys: Keys,
    engine: Engine,
    bad: str,
    ref: dict[str, Any],
    expected: list[tuple[str, str]],
) -> None:
    body = post(client, keys.integrator, [identified(ref)])
    item = body["results"][0]
    assert item["status"] == "accepted", bad
    assert warnings_of(item) == expected
    assert all(w["reason"] for w in item["warnings"])
    held = profile(client, keys, item["customer_id"])
    # Everything else the event said is on the customer.
    good = [i for n, i in enumerate(ref["identifiers"]) if f"/identifiers/{n}" not in str(expected)]
    assert len(held["identifiers"]) >= len(good)
    left_out = {field for field, _ in expected}
    kept_traits = {k for k in ref.get("traits", {}) if f"/data/customer/traits/{k}" not in left_out}
    assert kept_traits <= set(held["traits"])
    assert not set(ref.get("traits", {})) - kept_traits & set(held["traits"])
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.raw_events)).scalar_one() == 1


def test_html_and_control_characters_in_a_name_stay_text(client: TestClient, keys: Keys) -> None:
    name = "<script>alert(1)</script> Ann\x1b[31m Lee"
    item = post(client, keys.integrator, [identified(customer(("email", "a@b.org"), name=name))])
    assert item["results"][0]["status"] == "accepted"
    assert profile(client, keys, item["results"][0]["customer_id"])["name"] == name


def test_a_batch_where_every_event_has_one_bad_field_is_stored_whole(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    bad_fields: list[tuple[tuple[str, str], dict[str, Any]]] = [
        (("phone", "07700 900%03d"), {}),
        (("phone", "ring %03d"), {}),
        (("email", "person%03d@"), {}),
        (("phone", "+44 20 7946 0%03d"), {"date_of_birth": "2999-01-01"}),
        (("phone", "+44 20 7946 1%03d"), {"postcode": "???"}),
    ]
    batch = []
    for n in range(100):
        (kind, pattern), extra = bad_fields[n % len(bad_fields)]
        traits = {"name": f"Person {n:03d}", "address": f"{n} High Street, Leeds", **extra}
        batch.append(identified(customer((kind, pattern % n), **traits), id_=f"bad-{n}"))
    body = post(client, keys.integrator, batch)
    assert (body["accepted"], body["rejected"], body["warned"]) == (100, 0, 100)
    assert all(len(r["warnings"]) == 1 for r in body["results"])
    assert len({r["customer_id"] for r in body["results"]}) == 100
    with engine.connect() as conn:
        facts = conn.execute(
            sa.select(sa.func.count()).select_from(t.facts).where(t.facts.c.key == "address")
        ).scalar_one()
        assert facts == 100
        idents = conn.execute(sa.select(sa.func.count()).select_from(t.identifiers)).scalar_one()
        assert idents == 100
