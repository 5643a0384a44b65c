from __future__ import annotations

import datetime as dt

import pytest

from warmline.domain.identity.matching.record import (
    MatchRecord,
    name_forms,
    parse_address,
    parse_date,
    parse_name,
    record_from,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Miles Okafor", ("miles", "okafor", False)),
        ("Dr. Miles Okafor", ("miles", "okafor", False)),
        ("Okafor, Miles", ("miles", "okafor", False)),
        ("Mrs Ann Mary Smith-Jones", ("ann", "smith-jones", False)),
        ("Robert Smith Jr", ("robert", "smith", False)),
        ("Ludwig van der Berg", ("ludwig", "van der berg", False)),
        ("Seán O'Brien", ("sean", "obrien", False)),
        ("Okafor", (None, "okafor", True)),
        ("Mr", (None, None, False)),
        (None, (None, None, False)),
    ],
)
def test_names_are_split_and_cleaned(name: str | None, expected: tuple[object, ...]) -> None:
    assert parse_name(name) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1980-02-01", "1980-02-01"),
        ("19800201", "1980-02-01"),
        (dt.date(1980, 2, 1), "1980-02-01"),
        (dt.datetime(1980, 2, 1, 12, tzinfo=dt.UTC), "1980-02-01"),
        ("19801301", None),
        ("not a date", None),
        ("", None),
        (None, None),
    ],
)
def test_dates_become_iso_or_missing(value: object, expected: str | None) -> None:
    assert parse_date(value) == expected


def test_an_address_splits_into_number_street_and_locality() -> None:
    assert parse_address("6 Tullaroop St, Willaroo, St James, WA") == (
        "6",
        "tullaroop street",
        "willaroo saint james wa",
    )
    assert parse_address("Flat 2, 10 Downing Street, London") == (
        "10",
        "downing street",
        "flat 2 london",
    )
    assert parse_address("Rose Cottage, Hamble") == (None, None, "rose cottage hamble")
    assert parse_address("  ") == (None, None, None)


def test_record_from_normalises_traits_and_identifiers() -> None:
    record = record_from(
        {
            "name": "Mr Robert Smith",
            "preferred_name": "Bob",
            "date_of_birth": "1980-02-01",
            "postcode": "sw1a 2aa",
            "address": "10 Downing St, London",
            "segment": "retail",
        },
        [
            ("email", "Bob@Example.ORG", True),
            ("phone", "020 7946 0958", False),
            ("national_id", "QQ 12 34 56 C", False),
            ("account_number", "12-345", True),
            ("email", "not an email", False),
        ],
    )
    assert (record.first_name, record.last_name, record.preferred_name) == (
        "robert",
        "smith",
        "bob",
    )
    assert record.postcode == "SW1A2AA"
    assert record.emails == ("bob@example.org",)
    assert record.phones == ("+442079460958",)
    assert record.national_ids == ("QQ123456C",)
    assert record.identifiers == (("account_number", "12345"),)
    assert record.verified == {("email", "bob@example.org"), ("account_number", "12345")}
    assert {"robert", "bob"} <= record.first_forms


def test_nickname_forms_meet_on_the_formal_name() -> None:
    assert "robert" in name_forms("bob")
    assert "elizabeth" in name_forms("liz")
    assert name_forms("bob") & name_forms("rob")
    assert not name_forms("aaron") & name_forms("veronica")


def test_json_round_trip_keeps_every_field() -> None:
    record = record_from(
        {"name": "Okafor", "date_of_birth": "1980-02-01", "address": "1 High St, Leeds"},
        [("email", "m@example.org", True), ("customer_number", "C-1", False)],
    )
    data = record.to_json()
    assert MatchRecord.from_json(data) == record
    assert MatchRecord.from_json(data).first_forms == record.first_forms
    assert "first_name" not in data  # unknown values are left out


def test_json_of_another_version_is_refused() -> None:
    with pytest.raises(ValueError, match="version"):
        MatchRecord.from_json({"v": 99, "last_name": "okafor"})


@pytest.mark.parametrize(
    ("name", "generation"),
    [
        ("John Smith Jr", "jr"),
        ("John Smith, Jr.", "jr"),
        ("Smith, John III", "iii"),
        ("Robert Smith Jnr", "jr"),
        ("John Smith Senior", "sr"),
        ("John Senior", None),  # a surname, not a generation
        ("John Smith", None),
    ],
)
def test_a_generation_suffix_is_read_from_the_name(name: str, generation: str | None) -> None:
    record = record_from({"name": name})
    assert (record.generation, record.last_name) == (generation, name_last(name))
    assert MatchRecord.from_json(record.to_json()) == record


def name_last(name: str) -> str:
    return "senior" if name == "John Senior" else "smith"


def test_a_name_later_written_the_other_way_round_keeps_both_readings() -> None:
    record = record_from({"name": "Jenkins Alexis", "former_name": ["Alexis Jenkins"]})
    assert (record.first_name, record.last_name) == ("jenkins", "alexis")
    assert record.former_first_names == ("alexis",)
    assert record.former_last_names == ("jenkins",)


def test_a_former_surname_is_kept_when_the_first_name_is_now_misspelt() -> None:
    # Daniel Rogers, married, now written "Daneil Williams": Rogers is his former surname.
    record = record_from({"name": "Daneil Williams", "former_name": ["Daniel Rogers"]})
    assert record.former_last_names == ("rogers",)
    # Someone else's name is neither.
    other = record_from({"name": "Daneil Williams", "former_name": ["Susan Rogers"]})
    assert other.former_last_names == () and other.former_first_names == ()


def test_person_record_holds_what_every_record_of_the_customer_knows() -> None:
    from warmline.domain.identity.matching import person_record

    branch = record_from({"name": "Jaceb Lee", "date_of_birth": "1982-07-09",
                          "postcode": "AB28 2UU"}, [("phone", "+447847667797", False)])  # fmt: skip
    email = record_from({"name": "Lee Jacob"}, [("email", "jacob.lee32@example.org", False)])
    person = person_record(branch, [branch, email])
    assert (person.first_name, person.last_name, person.postcode) == ("jaceb", "lee", "AB282UU")
    # "Lee Jacob" is read the other way round: Lee is the surname the branch gives.
    assert person.former_first_names == ("jacob",)
    assert person.former_last_names == ()
    assert person.emails == ("jacob.lee32@example.org",)
    assert person.phones == ("+447847667797",)
    assert person_record(branch, [branch]) is branch
