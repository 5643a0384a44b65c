"""Relatives are judged as people: a record that would join a customer is checked against
everything known of that customer, so a record without a birth date never bridges a
father and a son, at ingest or in batch dedupe."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.helpers import post
from tests.factories import Keys, at, customer, identified
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
    assert son["resolution"] == "new" and son["candidates"] == [father["customer_id"]]
    assert live(client, keys, son["customer_id"]) != father["customer_id"]
    # Another person, not a question: nothing for a supervisor to wade through.
    assert suggestions(client, keys) == []
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
    assert junior["results"][0]["resolution"] == "new"
    assert junior["results"][0]["customer_id"] != senior["results"][0]["customer_id"]
    assert suggestions(client, keys) == []


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


def test_an_event_joins_the_records_its_identifiers_name_when_they_agree(
    client: TestClient, keys: Keys
) -> None:
    mobile, landline = ("phone", "07911 123456"), ("phone", "0113 496 0000")
    voice, chat, jane = (
        post(client, keys.integrator, [event])["results"][0]
        for event in (
            identified(customer(mobile)),  # a call: the number, nothing else
            identified(customer(("email", "ann.lee@example.org"), name="Ann Lee")),
            identified(customer(landline, name="Jane Lee")),  # her mother, at home
        )
    )
    assert len({voice["customer_id"], chat["customer_id"], jane["customer_id"]}) == 3
    # The app profile gives the email, the mobile and the home landline.
    app = post(
        client,
        keys.integrator,
        [identified(customer(("email", "ann.lee@example.org"), mobile, landline,
                             name="Ann Lee", date_of_birth="1990-04-04", **HOME))],
    )["results"][0]  # fmt: skip
    assert app["customer_id"] == chat["customer_id"]
    # The call from her mobile was her; the landline's record is her mother's.
    assert live(client, keys, voice["customer_id"]) == chat["customer_id"]
    assert live(client, keys, jane["customer_id"]) == jane["customer_id"]
    merges = client.get(
        "/v1/merges", params={"customer_id": chat["customer_id"]}, headers=keys.supervisor
    ).json()["merges"]
    assert [m["evidence"]["reasons"][:2] for m in merges] == [
        ["this record matches both: they are one person", "holds this event's phone"]
    ]


def test_a_record_written_before_a_move_or_a_marriage_still_finds_her(
    client: TestClient, keys: Keys
) -> None:
    email = ("email", "ann.lee@example.org")
    first, moved = (
        post(client, keys.integrator, [event])["results"][0]
        for event in (
            identified(customer(email, name="Ann Lee", **HOME)),
            # The app, signed in, says she married and moved: her old name and address
            # stay on file.
            identified(customer((*email, True), name="Ann Okafor",
                                address="3 Harbour Road, Hull", postcode="HU1 2AB"),
                       time=at(60)),
        )
    )  # fmt: skip
    assert moved["customer_id"] == first["customer_id"]
    # A branch form from before, under her old name and address, and no identifier we know.
    branch = post(
        client,
        keys.integrator,
        [identified(customer(("branch_form", "BF-1"), name="Ann Lee", **HOME))],
    )["results"][0]
    assert branch["resolution"] == "linked"
    assert live(client, keys, branch["customer_id"]) == first["customer_id"]


def test_a_caller_who_could_be_senior_or_his_son_is_asked_about_not_linked(
    client: TestClient, keys: Keys
) -> None:
    senior = post(
        client,
        keys.integrator,
        [identified(customer(("phone", "07985 613785"), name="Scott Lane Senior",
                             date_of_birth="1949-05-17", **HOME))],
    )["results"][0]  # fmt: skip
    # A call from another mobile: the name and the postcode, nothing of one person's own.
    caller = post(
        client,
        keys.integrator,
        [identified(customer(("phone", "07700 900686"), name="Scott Lane",
                             postcode=HOME["postcode"]))],
    )["results"][0]  # fmt: skip
    assert caller["resolution"] == "review"
    assert live(client, keys, caller["customer_id"]) != senior["customer_id"]
    [asked] = suggestions(client, keys)
    assert {asked["customer"]["id"], asked["candidate"]["id"]} == {
        caller["customer_id"], senior["customer_id"]
    }  # fmt: skip
    assert any("written Sr and the other without" in r for r in asked["reasons"])
    # Giving his birth date, he is the father.
    known = post(
        client,
        keys.integrator,
        [identified(customer(("phone", "07700 900687"), name="Scott Lane",
                             date_of_birth="1949-05-17", postcode=HOME["postcode"]))],
    )["results"][0]  # fmt: skip
    assert known["resolution"] == "linked"
    assert live(client, keys, known["customer_id"]) == senior["customer_id"]


def test_her_own_email_under_a_new_surname_and_address_is_her(
    client: TestClient, keys: Keys
) -> None:
    email = ("email", "ann.lee@example.org")
    first = post(client, keys.integrator, [identified(customer(email, name="Ann Lee", **HOME))])
    # Unverified, from a chat: the same mailbox, a married name, a new address.
    later = post(
        client,
        keys.integrator,
        [identified(customer(email, name="Ann Okafor", address="3 Harbour Road, Hull",
                             postcode="HU1 2AB"), time=at(60))],
    )["results"][0]  # fmt: skip
    assert later["resolution"] == "known"
    assert live(client, keys, later["customer_id"]) == first["results"][0]["customer_id"]
    # A family mailbox under another first name is somebody else, the same surname or not.
    family = ("email", "the.lees@example.org")
    post(client, keys.integrator, [identified(customer(family, name="Bob Lee", **HOME))])
    ann = post(client, keys.integrator, [identified(customer(family, name="Ann Lee"))])
    assert ann["results"][0]["resolution"] != "known"


def test_dedupe_asks_about_a_record_that_could_be_senior_or_his_son(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    from warmline.actions.identity_admin import set_thresholds

    set_thresholds(engine, link=0.9999999999, review=0.9999999998)  # imported apart
    batch = [
        identified(customer(("phone", "07985 613785"), name="Scott Lane Sr",
                            date_of_birth="1949-05-17", **HOME)),
        identified(customer(("phone", "07700 900686"), name="Scott Lane", **HOME)),
    ]  # fmt: skip
    senior, caller = (r["customer_id"] for r in post(client, keys.integrator, batch)["results"])
    assert senior != caller
    set_thresholds(engine, link=0.99, review=0.9)
    identity_config.forget_current()
    report = dedupe(engine, apply=True)
    assert (report.merged, report.suggested) == (0, 1)
    assert live(client, keys, caller) != live(client, keys, senior)
    [asked] = suggestions(client, keys)
    assert any("written Sr and the other without" in r for r in asked["reasons"])


def test_his_own_mobile_under_a_new_surname_joins_the_record_that_holds_it(
    client: TestClient, keys: Keys
) -> None:
    mobile, email = ("phone", "07851 262659"), ("email", "daniel.rogers72@example.org")
    born = {"date_of_birth": "1944-11-16", **HOME}
    branch = post(client, keys.integrator, [identified(customer(
        mobile, name="Daniel Rogers", **born))])["results"][0]  # fmt: skip
    post(client, keys.integrator, [identified(customer(email, name="Daniel Rogers"))])
    # Married and renamed, the name misspelt in the chat form: his email and his mobile.
    chat = post(client, keys.integrator, [identified(customer(
        email, mobile, name="Daneil Williams"))])["results"][0]  # fmt: skip
    assert live(client, keys, chat["customer_id"]) == live(client, keys, branch["customer_id"])


def test_a_call_written_the_other_way_round_is_the_same_person(
    client: TestClient, keys: Keys
) -> None:
    mobile = ("phone", "07865 474856")
    born = {"date_of_birth": "1993-06-06", **HOME}
    first = post(client, keys.integrator, [identified(customer(
        mobile, name="Joseph Green", **born))])["results"][0]  # fmt: skip
    post(client, keys.integrator, [identified(customer(
        mobile, name="Green Joseph", date_of_birth="1993-06-06", **HOME))])  # fmt: skip
    # Later, married: a new surname, the first name misspelt, his mobile and birth date.
    later = post(client, keys.integrator, [identified(customer(
        mobile, name="Josehp Evans", date_of_birth="1993-06-06"))])["results"][0]  # fmt: skip
    assert live(client, keys, later["customer_id"]) == live(client, keys, first["customer_id"])
