from __future__ import annotations

from typing import Any

import pytest

from warmline.domain.identity.matching import DEFAULT_MODEL, compare, match_weight, record_from
from warmline.domain.identity.matching.model import FIELDS
from warmline.domain.identity.matching.record import MatchRecord
from warmline.domain.identity.matching.scoring import (
    MISSING,
    comparison_levels,
    national_ids_agree,
    person_levels,
)

MILES = {
    "name": "Miles Okafor",
    "date_of_birth": "1980-02-01",
    "address": "12 Acacia Avenue, Leeds",
    "postcode": "LS1 4AB",
}


def person(identifiers: list[tuple[str, str, bool]] | None = None, **traits: Any) -> MatchRecord:
    return record_from({**MILES, **traits}, identifiers or [])


def levels(a: MatchRecord, b: MatchRecord) -> dict[str, str | None]:
    comparison = compare(a, b, DEFAULT_MODEL)
    return {field: comparison.level(field) for field in FIELDS}


def test_the_same_record_agrees_exactly_on_every_known_field() -> None:
    found = levels(person(), person())
    assert found["first_name"] == found["last_name"] == found["date_of_birth"] == "exact"
    assert found["postcode"] == found["street_within_postcode"] == "exact"
    assert found["locality_within_postcode"] == "exact"
    assert found["email"] is None and found["national_id"] is None  # unknown: no evidence
    assert compare(person(), person(), DEFAULT_MODEL).probability > 0.9999


def test_typos_are_close_not_different() -> None:
    found = levels(person(), person(name="Miles Okafro", address="12 Acacia Avneue, Leeds"))
    assert found["last_name"] == "close"
    assert found["street_within_postcode"] == "close"


def test_street_and_town_are_scored_apart_from_an_equal_postcode() -> None:
    # Equal postcodes: the street and town count as "within the postcode", not twice over.
    same = levels(person(), person())
    assert same["street"] is None and same["locality"] is None
    # Another postcode (or none): the street and town count in their own right.
    found = levels(person(), person(postcode="LS2 7QQ"))
    assert found["street"] == found["locality"] == "exact"
    assert found["street_within_postcode"] is None
    comparison = compare(person(), person(), DEFAULT_MODEL)
    texts = [e.describe() for e in comparison.evidence]
    assert any(t.startswith("street (same postcode): exact match") for t in texts)


def test_a_nickname_is_its_own_level_and_reads_well() -> None:
    bob = person(name="Bob Smith")
    robert = person(name="Robert Smith")
    comparison = compare(bob, robert, DEFAULT_MODEL)
    assert comparison.level("first_name") == "nickname"
    first = next(e for e in comparison.evidence if e.field == "first_name")
    assert first.describe().startswith("first name: Bob ~ Robert (nickname) +")
    dob = next(e for e in comparison.evidence if e.field == "date_of_birth")
    assert dob.describe().startswith("date of birth: exact match +")
    assert dob.sensitive and not first.sensitive


def test_a_preferred_name_counts_as_a_nickname() -> None:
    found = levels(person(name="Margaret Hale", preferred_name="Peggy"), person(name="Peggy Hale"))
    assert found["first_name"] == "nickname"


def test_swapped_first_and_last_names_are_recognised() -> None:
    found = levels(person(), person(name="Okafor Miles"))
    assert found["first_name"] == "swapped"
    assert found["last_name"] is None  # both names' agreement is counted once


def test_a_lone_name_is_scored_against_the_name_it_resembles() -> None:
    assert levels(person(name="Okafor"), person())["last_name"] == "exact"
    found = levels(person(name="Miles"), person())
    assert found["first_name"] == "exact" and found["last_name"] is None


def test_dates_of_birth_with_day_and_month_swapped_or_a_typo() -> None:
    assert levels(person(), person(date_of_birth="1980-01-02"))["date_of_birth"] == (
        "day_month_swapped"
    )
    assert levels(person(), person(date_of_birth="1980-02-07"))["date_of_birth"] == "typo"
    assert levels(person(), person(date_of_birth="1980-07-15"))["date_of_birth"] == "same_year"
    assert levels(person(), person(date_of_birth="1955-07-15"))["date_of_birth"] == "different"


def test_postcodes_agree_exactly_by_typo_or_by_area() -> None:
    assert levels(person(), person(postcode="ls14ab"))["postcode"] == "exact"
    assert levels(person(), person(postcode="LS1 4AC"))["postcode"] == "typo"
    assert levels(person(), person(postcode="LS1 9ZZ"))["postcode"] == "area"
    assert levels(person(), person(postcode="M1 1AE"))["postcode"] == "different"


def test_identifiers_agree_when_any_value_is_shared() -> None:
    a = person([("email", "miles@example.org", False), ("national_id", "AB123456C", False)])
    b = person([("email", "m.okafor@example.com", False), ("email", "miles@example.org", False)])
    assert levels(a, b)["email"] == "exact"
    c = person([("national_id", "AB123465C", False)])
    assert levels(a, c)["national_id"] == "typo"
    d = person([("national_id", "ZZ999999Z", False)])
    assert levels(a, d)["national_id"] == "different"


def test_a_moved_customer_still_matches_on_name_birth_date_and_email() -> None:
    email = [("email", "miles@example.org", False)]
    before = person(email)
    after = person(email, address="3 Harbour Road, Bristol", postcode="BS1 5TT")
    comparison = compare(before, after, DEFAULT_MODEL)
    assert comparison.level("street") == "different"
    assert comparison.probability > 0.999


def test_weights_add_up_and_the_fast_path_agrees() -> None:
    a, b = person(), person(name="Miles Okafro", postcode="LS2 7QQ")
    comparison = compare(a, b, DEFAULT_MODEL)
    total = DEFAULT_MODEL.prior_weight + sum(e.weight for e in comparison.evidence)
    assert comparison.weight == pytest.approx(total, abs=0.05)
    assert match_weight(a, b, DEFAULT_MODEL) == pytest.approx(comparison.weight)
    assert compare(b, a, DEFAULT_MODEL).weight == pytest.approx(comparison.weight)


def test_strangers_score_far_below_even() -> None:
    stranger = record_from(
        {"name": "Ann Lee", "date_of_birth": "1991-11-30", "address": "4 Mill Lane, York"}, []
    )
    assert compare(person(), stranger, DEFAULT_MODEL).probability < 0.001


def test_a_maiden_name_and_a_former_address_agree_with_records_from_before() -> None:
    before = record_from(
        {"name": "Ann Lee", "address": "3 Mill Lane, York", "postcode": "YO1 7HH",
         "date_of_birth": "1984-03-02"}
    )  # fmt: skip
    after = record_from(
        {"name": "Ann Okafor", "former_name": "Ann Lee", "address": "12 Acacia Avenue, Leeds",
         "postcode": "LS1 4AB", "former_address": "3 Mill Lane, York",
         "former_postcode": "YO1 7HH", "date_of_birth": "1984-03-02"}
    )  # fmt: skip
    found = levels(before, after)
    assert found["last_name"] == "exact"  # the surname she had then
    assert found["postcode"] == found["street_within_postcode"] == "exact"  # where she lived
    plain = record_from({"name": "Ann Okafor", "address": "12 Acacia Avenue, Leeds",
                         "postcode": "LS1 4AB", "date_of_birth": "1984-03-02"})  # fmt: skip
    assert levels(before, plain)["last_name"] == "different"
    assert (
        compare(before, after, DEFAULT_MODEL).weight > compare(before, plain, DEFAULT_MODEL).weight
    )
    assert MatchRecord.from_json(after.to_json()) == after
    # The evidence says what was compared, a former address included.
    moved = record_from(
        {"name": "Ann Lee", "address": "5 Mill Lane, York", "postcode": "YO1 7HH",
         "date_of_birth": "1990-01-01"}
    )  # fmt: skip
    shown = [e.describe() for e in compare(after, moved, DEFAULT_MODEL).evidence]
    assert "street number: 3 (before) ≠ 5 (different) -2.7" in shown
    assert "date of birth: 1984-03-02 ≠ 1990-01-01 (different) -5.6" in shown


def test_a_common_surname_or_postcode_counts_for_less_than_a_rare_one() -> None:
    from warmline.domain.identity.matching.model import build_model

    values = {f.name: {lv.name: (lv.m, lv.u) for lv in f.levels} for f in DEFAULT_MODEL.fields}
    model = build_model(
        values,
        DEFAULT_MODEL.prior,
        frequencies={"last_name": {"smith": 0.02}, "postcode": {"LS14AB": 0.01}},
        rare={"last_name": 1e-4, "postcode": 1e-4},
    )
    smiths = [record_from({"name": "John Smith", "postcode": "LS1 4AB"}) for _ in range(2)]
    okafors = [record_from({"name": "John Okafor", "postcode": "M1 1AE"}) for _ in range(2)]
    smith, okafor = compare(*smiths, model), compare(*okafors, model)
    assert smith.weight < compare(*smiths, DEFAULT_MODEL).weight  # common: less than on average
    assert okafor.weight > compare(*okafors, DEFAULT_MODEL).weight  # rare: more
    surname = smith.evidence_of("last_name")
    assert surname is not None and surname.weight < okafor.evidence_of("last_name").weight  # type: ignore[union-attr]


def test_evidence_can_be_said_for_any_pair_with_or_without_what_came_before() -> None:
    shapes: list[dict[str, Any]] = [
        {},
        {"name": "Ann Lee"},
        {"name": "A Lee", "date_of_birth": "1984-03-02"},
        {"postcode": "YO1 7HH"},
        {"address": "3 Mill Lane, York"},
        {"name": "Ann Okafor", "former_name": ["Ann Lee", "Annie Lee"]},
        {"former_address": "3 Mill Lane, York", "former_postcode": "YO1 7HH"},
        {"former_postcode": ["YO1 7HH", "LS1 4AB"], "address": "12 Acacia Avenue, Leeds"},
        {"name": "Lee", "former_address": ["3 Mill Lane, York", "9 High Street, Hull"]},
    ]
    records = [record_from(shape) for shape in shapes]
    for a in records:
        for b in records:
            comparison = compare(a, b, DEFAULT_MODEL)
            assert all(e.describe() for e in comparison.evidence)


@pytest.mark.parametrize(
    "other",
    [
        {},
        {"name": "Okafor Miles"},  # swapped
        {"name": "Mike Okafor", "date_of_birth": "1980-01-02"},
        {"name": "Miles Okafor Jr", "date_of_birth": "2005-02-01"},
        {"name": "Okafor"},  # a lone name
        {"name": "Miles Smith", "former_name": "Miles Okafor", "date_of_birth": None},
    ],
)
@pytest.mark.parametrize("ids", [[], [("national_id", "AB123456C", False)]])
def test_the_person_fields_alone_read_as_the_whole_comparison_reads_them(
    other: dict[str, Any], ids: list[tuple[str, str, bool]]
) -> None:
    a = person([("national_id", "AB123456C", False)])
    b = person(ids, address="3 Elm Row, York", postcode="YO1 7HH", **other)
    whole, light = comparison_levels(a, b), person_levels(a, b)
    kept = {FIELDS.index(f) for f in ("first_name", "last_name", "date_of_birth", "national_id")}
    for index, field in enumerate(FIELDS):
        if index in kept and field != "last_name":  # a former surname refines only the whole
            assert light[index] == whole[index], field
        elif index not in kept:
            assert light[index] == MISSING, field
    assert national_ids_agree(a, b) is bool(ids)
    assert national_ids_agree(a, person([("national_id", "AB123465C", False)]))  # a typo
    assert not national_ids_agree(a, person([("national_id", "ZZ999999Z", False)]))
