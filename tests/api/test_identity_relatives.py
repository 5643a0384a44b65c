"""Relatives are judged as people: a record that would join a customer is checked against
everything known of that customer, so a record without a birth date never bridges a
father and a son, at ingest or in batch dedupe."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.helpers import post
from tests.factories import Keys, customer, identified
from warmline.actions.identity_admin import dedupe
from warmline.storage import identity_config

HOME = {"address": "14 Mill Lane, Leeds", "postcode": "LS6 2QT"}


def live(client: TestClient, keys: Keys, customer_id: str) -> str:
    response = client.get(f"/v1/customers/{customer_id}", headers=keys.admin)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def suggestions(client: TestClient, keys: Keys) -> list[dict[str, Any]]:
    response = client.get("/v1/merge-suggestions?limit=100", headers=keys.supervisor)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["suggestions"]
    return found


def test_a_record_without_a_birth_date_does_not_make_the_son_his_fathers_customer(
    client: TestClient, keys: Keys
) -> None:
    father = post(
        client,
        keys.integrator,
        [identified(customer(("email", "john.okafor@example.org"), name="John Okafor",
                             date_of_birth="1955-03-01", **HOME))],
    )["results"][0]  # fmt: skip
    # The branch wrote him down without a birth date, with the family email.
    no_date = post(
        client,
        keys.integrator,
        [identified(customer(("email", "okafors@example.org"), name="John Okafor", **HOME))],
    )["results"][0]
    assert no_date["resolution"] == "linked"
    assert live(client, keys, no_date["customer_id"]) == father["customer_id"]
    # The son, same name and address, gives the family email and his own birth date.
    son = post(
        client,
        keys.integrator,
        [identified(customer(("email", "okafors@example.org"), name="John Okafor",
                             date_of_birth="1984-07-21", **HOME))],
    )["results"][0]  # fmt: skip
    assert son["resolution"] == "review"
    assert live(client, keys, son["customer_id"]) != father["customer_id"]
    held = [s for s in suggestions(client, keys) if s["customer"]["id"] == son["customer_id"]]
    assert held and held[0]["reasons"][0] == (
        "another record of this customer: dates of birth differ "
        "(1984-07-21 / 1955-03-01): could be a relative"
    )
    # The father, giving the family email again, is still himself.
    again = post(
        client,
        keys.integrator,
        [identified(customer(("email", "okafors@example.org"), name="John Okafor",
                             date_of_birth="1955-03-01", **HOME))],
    )["results"][0]  # fmt: skip
    assert live(client, keys, again["customer_id"]) == father["customer_id"]


def test_junior_and_senior_are_two_people_by_their_suffixes(client: TestClient, keys: Keys) -> None:
    phone = ("phone", "0113 496 0000")
    senior = post(client, keys.integrator, [identified(customer(phone, name="John Okafor Sr",
                                                                 **HOME))])  # fmt: skip
    junior = post(client, keys.integrator, [identified(customer(phone, name="John Okafor Jr",
                                                                 **HOME))])  # fmt: skip
    assert junior["results"][0]["resolution"] == "review"
    assert junior["results"][0]["customer_id"] != senior["results"][0]["customer_id"]
    reasons = suggestions(client, keys)[0]["reasons"]
    assert "name suffixes differ (Jr / Sr): could be parent and child" in reasons


def test_dedupe_never_joins_father_and_son_through_a_record_without_a_birth_date(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    # Imported under strict thresholds: nothing links, three customers.
    strict = {"link": 0.9999999999, "review": 0.9999999998}
    from warmline.actions.identity_admin import set_thresholds

    set_thresholds(engine, **strict)
    batch = [
        identified(customer(("email", "father@example.org"), name="John Okafor",
                            date_of_birth="1955-03-01", **HOME)),
        identified(customer(("email", "son@example.org"), name="John Okafor",
                            date_of_birth="1984-07-21", **HOME)),
        identified(customer(("email", "okafors@example.org"), name="John Okafor", **HOME)),
    ]  # fmt: skip
    ids = [r["customer_id"] for r in post(client, keys.integrator, batch)["results"]]
    assert len(set(ids)) == 3
    set_thresholds(engine, link=0.999, review=0.5)
    identity_config.forget_current()
    report = dedupe(engine, apply=True)
    # The record without a date joins one of them; never both.
    assert report.merged == 1 and report.held_as_relatives == 1
    father, son, no_date = (live(client, keys, i) for i in ids)
    assert father != son
    assert no_date in (father, son)
