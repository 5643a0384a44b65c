from __future__ import annotations

from typing import Any

import pytest

from warmline.domain.identity.matching import (
    DEFAULT_MODEL,
    Thresholds,
    compare,
    decide,
    namesake_at_home,
    record_from,
    resolve_against,
)
from warmline.domain.identity.matching.record import MatchRecord

HOME = {"address": "12 Acacia Avenue, Leeds", "postcode": "LS1 4AB"}
PHONE = ("phone", "+441134960000", False)


def person(
    name: str, identifiers: list[tuple[str, str, bool]] | None = None, **traits: Any
) -> MatchRecord:
    return record_from({"name": name, **HOME, **traits}, identifiers or [])


def outcome(a: MatchRecord, b: MatchRecord, thresholds: Thresholds | None = None) -> Any:
    return decide(a, b, compare(a, b, DEFAULT_MODEL), thresholds or Thresholds())


def test_the_same_person_links() -> None:
    a = person("Miles Okafor", date_of_birth="1980-02-01")
    b = person("Miles Okafor", date_of_birth="1980-02-01")
    decision = outcome(a, b)
    assert decision.outcome == "link"
    assert "link threshold" in decision.reasons[0]


def test_twins_never_link() -> None:
    ann = person("Ann Okafor", date_of_birth="1990-05-05")
    beth = person("Beth Okafor", date_of_birth="1990-05-05")
    assert compare(ann, beth, DEFAULT_MODEL).probability > 0.999  # the score alone would link
    decision = outcome(ann, beth)
    assert decision.outcome == "new"  # two people: neither linked nor a question
    assert decision.reasons[0] == "first names differ (Ann / Beth): could be a relative"


@pytest.mark.parametrize(("first", "other"), [("Carl", "Carol"), ("Christina", "Christopher")])
def test_real_first_names_that_merely_look_alike_never_link(first: str, other: str) -> None:
    a = person(f"{first} Okafor", [PHONE], date_of_birth="1990-05-05")
    b = person(f"{other} Okafor", [PHONE], date_of_birth="1990-05-05")
    decision = outcome(a, b)
    assert decision.outcome == "new"
    assert f"first names differ ({first} / {other}): could be a relative" in decision.reasons


def test_a_typo_in_a_first_name_still_links() -> None:
    a = person("Christopher Okafor", date_of_birth="1990-05-05")
    b = person("Christophr Okafor", date_of_birth="1990-05-05")
    assert outcome(a, b).outcome == "link"


def test_two_spellings_one_letter_pair_apart_are_one_name() -> None:
    # Jeffrey and Jeffery are both given names, and one slip of the fingers apart.
    a = person("Jeffrey Cooper", [("email", "jeffrey.cooper0@example.org", False)])
    b = person("Jeffery Cooper", [("email", "jeffrey.cooper0@example.org", False)],
               date_of_birth="1963-12-23")  # fmt: skip
    decision = outcome(a, b)
    assert decision.outcome == "link", decision


def test_senior_and_junior_at_one_address_never_link() -> None:
    senior = person("John Okafor", date_of_birth="1955-03-01")
    junior = person("John Okafor", date_of_birth="1984-07-21")
    decision = outcome(senior, junior)
    assert decision.outcome == "new"
    assert decision.reasons[0] == (
        "dates of birth differ (1955-03-01 / 1984-07-21): could be a relative"
    )
    # An equal national id tells a mistyped birth date from a relative.
    with_id = [("national_id", "AB123456C", False)]
    a = person("John Okafor", with_id, date_of_birth="1955-03-01")
    b = person("John Okafor", with_id, date_of_birth="1984-07-21")
    assert outcome(a, b).outcome == "link"


def test_a_shared_household_phone_is_never_a_link_nor_a_question() -> None:
    father = person("Miles Okafor", [PHONE], date_of_birth="1961-03-03")
    daughter = person("Ada Okafor", [PHONE], date_of_birth="1995-09-09")
    decision = outcome(father, daughter)
    # Two people of one household: nobody needs to be asked about them.
    assert decision.outcome == "new"
    assert decision.reasons[0] == "shares a phone number"


def test_a_shared_email_alone_is_no_question_below_review() -> None:
    email = ("email", "family@example.org", False)
    a = record_from({"name": "Miles Okafor"}, [email])
    b = record_from({"name": "Zoe Brand", "date_of_birth": "1970-01-01"}, [email])
    assert compare(a, b, DEFAULT_MODEL).probability < 0.5
    decision = outcome(a, b)
    assert decision.outcome == "new"
    assert decision.reasons[0] == "shares an email address"


def test_a_shared_phone_with_a_name_alike_is_a_question_never_a_link() -> None:
    a = record_from({"name": "Robert Stone", "postcode": "M1 1AE"}, [PHONE])
    b = record_from({"name": "Robert Stne", "postcode": "LS1 4AP"}, [PHONE])
    decision = outcome(a, b)
    assert decision.outcome == "review"


def test_a_phone_with_nothing_else_in_common_does_not_link() -> None:
    a = record_from({}, [PHONE])
    b = record_from({"name": "Zoe Brand"}, [PHONE])
    assert outcome(a, b).outcome == "new"


def test_conflicting_verified_identifiers_never_link() -> None:
    a = person("Miles Okafor", [("email", "miles@example.org", True)], date_of_birth="1980-02-01")
    b = person("Miles Okafor", [("email", "okafor@example.com", True)], date_of_birth="1980-02-01")
    decision = outcome(a, b)
    assert decision.outcome == "review"
    assert "conflicting verified email addresses" in decision.reasons
    # The same pair with one side unverified is not a conflict.
    c = person("Miles Okafor", [("email", "okafor@example.com", False)], date_of_birth="1980-02-01")
    assert outcome(a, c).outcome == "link"


def test_thresholds_decide_between_link_review_and_new() -> None:
    a = person("Miles Okafor")
    b = person("Miles Okafor", postcode="LS2 7QQ", address="3 Harbour Road, Leeds")
    p = compare(a, b, DEFAULT_MODEL).probability
    assert outcome(a, b, Thresholds(link=p / 2 + 0.5, review=p / 2)).outcome == "review"
    assert outcome(a, b, Thresholds(link=p * 0.99, review=p / 2)).outcome == "link"
    assert outcome(a, b, Thresholds(link=0.9999, review=min(0.999, p * 1.01))).outcome == "new"


@pytest.mark.parametrize(("link", "review"), [(0.5, 0.9), (1.0, 0.5), (0.9, 0.0)])
def test_thresholds_must_be_ordered_probabilities(link: float, review: float) -> None:
    with pytest.raises(ValueError, match="thresholds"):
        Thresholds(link=link, review=review)


def test_resolve_against_picks_the_best_and_lists_the_others() -> None:
    new = person("Miles Okafor", date_of_birth="1980-02-01")
    candidates = {
        "exact": person("Miles Okafor", date_of_birth="1980-02-01"),
        "typo": person("Miles Okafro", date_of_birth="1980-02-01"),
        "twin": person("Ada Okafor", date_of_birth="1980-02-01"),
        "stranger": record_from({"name": "Zoe Brand", "postcode": "M1 1AE"}, []),
    }
    result = resolve_against(new, candidates, DEFAULT_MODEL, Thresholds())
    assert result.best_id == "exact"
    assert result.decision.outcome == "link"
    assert result.comparison is not None and result.comparison.probability > 0.999
    # The twin is two people with the new record: not a candidate at all.
    assert [o.candidate_id for o in result.others] == ["typo"]
    assert [o.decision.outcome for o in result.others] == ["link"]


def test_resolve_against_nobody_is_new() -> None:
    new = person("Miles Okafor")
    result = resolve_against(new, {}, DEFAULT_MODEL, Thresholds())
    assert (result.best_id, result.comparison, result.decision.outcome) == (None, None, "new")
    stranger = {"z": record_from({"name": "Zoe Brand", "postcode": "M1 1AE"}, [])}
    assert resolve_against(new, stranger, DEFAULT_MODEL, Thresholds()).best_id is None


def test_a_question_that_fits_senior_and_junior_alike_is_a_review() -> None:
    candidates = {
        "senior": person("John Okafor", [PHONE], date_of_birth="1955-03-01"),
        "junior": person("John Okafor", [PHONE], date_of_birth="1984-07-21"),
    }
    caller = person("John Okafor", [PHONE])  # no birth date to tell them apart
    result = resolve_against(caller, candidates, DEFAULT_MODEL, Thresholds())
    assert result.decision.outcome == "review"
    assert result.decision.reasons[0].endswith("about as well, and they are two people")
    # With the birth date, the caller is one of them.
    caller = person("John Okafor", [PHONE], date_of_birth="1984-07-21")
    result = resolve_against(caller, candidates, DEFAULT_MODEL, Thresholds())
    assert (result.best_id, result.decision.outcome) == ("junior", "link")


def test_a_record_that_bridges_two_records_of_one_person_links_to_both() -> None:
    candidates = {
        "a": person("Miles Okafor", date_of_birth="1980-02-01"),
        "b": person("Miles Okafro", [("email", "miles@example.org", False)]),
    }
    new = person(
        "Miles Okafor", [("email", "miles@example.org", False)], date_of_birth="1980-02-01"
    )
    result = resolve_against(new, candidates, DEFAULT_MODEL, Thresholds())
    assert (result.best_id, result.decision.outcome) == ("a", "link")
    assert [(o.candidate_id, o.decision.outcome) for o in result.others] == [("b", "link")]
    # Records of one customer are one answer, however alike.
    same = resolve_against(new, candidates, DEFAULT_MODEL, Thresholds(), {"a": "c1", "b": "c1"})
    assert same.decision.outcome == "link"


def test_customer_of_looks_a_candidate_up_only_when_asked() -> None:
    from warmline.domain.identity.matching import CustomerOf

    asked: list[str] = []

    def customer(record_id: str) -> str:
        asked.append(record_id)
        return "cus_" + record_id

    mapping = CustomerOf({"a", "b"}, customer)
    assert len(mapping) == 2 and set(mapping) == {"a", "b"} and asked == []
    assert mapping["a"] == "cus_a" and asked == ["a"]
    assert mapping.get("z") is None and "z" not in mapping and asked == ["a"]


def test_a_generation_suffix_is_evidence_of_two_people() -> None:
    senior = person("John Okafor Sr", [PHONE])
    junior = person("John Okafor Jr.", [PHONE])
    assert (senior.generation, junior.generation) == ("sr", "jr")
    decision = outcome(senior, junior)
    assert decision.outcome == "new"
    assert "name suffixes differ (Sr / Jr): could be parent and child" in decision.reasons
    # One side without a suffix says nothing either way.
    assert (
        outcome(
            person("John Okafor Jr", date_of_birth="1984-07-21"),
            person("John Okafor", date_of_birth="1984-07-21"),
        ).outcome
        == "link"
    )


def test_a_record_without_a_birth_date_cannot_bridge_father_and_son() -> None:
    father = person("John Okafor", date_of_birth="1955-03-01")
    no_date = person("John Okafor", [("email", "okafors@example.org", False)])
    son = person(
        "John Okafor", [("email", "okafors@example.org", False)], date_of_birth="1984-07-21"
    )
    # The son and the record without a date, as a pair: nothing says two people.
    assert outcome(son, no_date).outcome == "link"
    # Judged against everything known of the customer that record belongs to: the father.
    records = {"father": father, "no-date": no_date}
    customer_of = {"father": "c1", "no-date": "c1"}

    def records_of(record_id: str) -> list[MatchRecord]:
        return [r for rid, r in records.items() if customer_of[rid] == customer_of[record_id]]

    result = resolve_against(
        son, {"no-date": no_date}, DEFAULT_MODEL, Thresholds(), customer_of, records_of
    )
    assert result.decision.outcome == "new"  # the father's son: another person
    # The father himself, written the same way, still joins his customer.
    again = person(
        "John Okafor", [("email", "okafors@example.org", False)], date_of_birth="1955-03-01"
    )
    result = resolve_against(
        again, {"no-date": no_date}, DEFAULT_MODEL, Thresholds(), customer_of, records_of
    )
    assert result.decision.outcome == "link"


def test_people_are_apart_when_no_record_of_one_agrees_with_any_of_the_other() -> None:
    from warmline.domain.identity.matching import apart

    tom = [person("Tom Okafor", date_of_birth="1990-05-05"), person("Thomas Okafor")]
    tim = [person("Tim Okafor", date_of_birth="1990-05-05")]
    assert apart(tom, tim) == ["first names differ (Tom, Thomas / Tim): could be a relative"]
    # A customer whose records already disagree (a mistyped year) agrees with either.
    typed = [
        person("Ann Okafor", date_of_birth="1980-02-01"),
        person("Ann Okafor", date_of_birth="1981-02-01"),
    ]
    assert apart(typed, [person("Ann Okafor", date_of_birth="1981-02-01")]) == []
    # A national id both hold says one person whatever else differs.
    nid = [("national_id", "AB123456C", False)]
    assert (
        apart(
            [person("Ann Okafor", nid, date_of_birth="1980-02-01")],
            [person("Ann Okafor", nid, date_of_birth="1999-02-01")],
        )
        == []
    )


def test_a_record_without_a_suffix_that_only_shares_name_and_home_with_a_senior_is_asked() -> None:
    # Written "Senior": there is a son of that name, most likely at this address.
    senior = person("Scott Lane Senior", [("phone", "+447985613785", False)],
                    date_of_birth="1949-05-17")  # fmt: skip
    caller = person("Scott Lane", [("phone", "+447700900686", False)])  # name and home only
    candidates = {"senior": senior}
    records = {"senior": [senior]}
    result = resolve_against(
        caller, candidates, DEFAULT_MODEL, Thresholds(), records_of=records.__getitem__
    )
    assert outcome(caller, senior).outcome == "link"  # the pair alone would link
    assert result.decision.outcome == "review"
    assert "written Sr and the other without" in result.decision.reasons[0]
    assert namesake_at_home([caller], [senior], compare(caller, senior, DEFAULT_MODEL))
    # His birth date, or his own mobile, tells who it is.
    for own in (
        person("Scott Lane", date_of_birth="1949-05-17"),
        person("Scott Lane", [("phone", "+447985613785", False)]),
    ):
        result = resolve_against(
            own, candidates, DEFAULT_MODEL, Thresholds(), records_of=records.__getitem__
        )
        assert result.decision.outcome == "link", result.decision
    # The household's landline is no one person's own.
    landline = ("phone", "+441134960000", False)
    senior_home = person("Scott Lane Sr", [landline])
    caller_home = person("Scott Lane", [landline])
    comparison = compare(caller_home, senior_home, DEFAULT_MODEL)
    assert namesake_at_home([caller_home], [senior_home], comparison)
    # Both written Senior, or neither: nothing to tell apart.
    both = person("Scott Lane Sr", [("phone", "+447700900686", False)])
    assert namesake_at_home([both], [senior], compare(both, senior, DEFAULT_MODEL)) is None
    plain = person("Scott Lane", [("phone", "+447985613785", False)], date_of_birth="1949-05-17")
    assert namesake_at_home([caller], [plain], compare(caller, plain, DEFAULT_MODEL)) is None


def test_an_initial_that_fits_does_not_make_brothers_one_person() -> None:
    from warmline.domain.identity.matching import apart

    joseph = [person("J Brooks", date_of_birth="1989-06-04"), person("Joseph Brooks")]
    jason = [person("Jason Brooks", date_of_birth="1989-06-13")]
    assert apart(joseph, jason) == ["first names differ (J, Joseph / Jason): could be a relative"]
    # Known only by the initial, he may be either: nothing says two people.
    assert apart([person("J Brooks", date_of_birth="1989-06-04")], jason) == []
    # An initial that does not fit does.
    assert apart([person("K Brooks")], jason)


def test_a_record_last_written_with_an_initial_keeps_the_name_it_had() -> None:
    from warmline.domain.identity.matching import apart

    # Jeffrey's record, last written "J Owen": the name it was given before still counts.
    jeffrey = person("J Owen", date_of_birth="1987-10-22", former_name=["Jeffrey Owen"])
    janet = person("Janet Owen", date_of_birth="1987-10-22")
    assert jeffrey.former_first_names == ("jeffrey",)
    assert apart([jeffrey], [janet]) == ["first names differ (J / Janet): could be a relative"]
    # A name she went by before that agrees says one person.
    jan = person("J Owen", date_of_birth="1987-10-22", former_name=["Jan Owen"])
    assert apart([jan], [janet]) == []


def test_a_name_written_the_other_way_round_is_one_name_to_the_relatives_rules() -> None:
    from warmline.domain.identity.matching import apart

    # "Hall Samantha" is Samantha Hall, and Sam is her nickname: nothing says two people.
    assert apart([person("Hall Samantha")], [person("Samantha Hall"), person("Sam Hall")]) == []
    # Brothers both written the other way round still differ: "Reynolds" is a surname the
    # other records give, not the first name they share.
    james = [person("James Reynolds"), person("Reynolds James")]
    william = [person("William Reynolds"), person("Reynolds William")]
    assert apart(james, william)


def test_an_initial_fits_the_formal_name_a_nickname_stands_for() -> None:
    from warmline.domain.identity.matching import apart

    # "W Thomas" and Bill Thomas: W for William, whom Bill stands for.
    assert apart([person("W Thomas")], [person("Bill Thomas")]) == []
    assert compare(person("W Thomas"), person("Bill Thomas"), DEFAULT_MODEL).level(
        "first_name"
    ) == ("similar")
    # An initial that fits no form of the name still says two people.
    assert apart([person("K Thomas")], [person("Bill Thomas")])


def test_a_name_alone_never_links_however_rare() -> None:
    from dataclasses import replace

    # A model that knows "Okonkwo-Baptiste" is held by one record in a million: the name
    # alone weighs enough to link. It is still only a name: at most a question.
    rare = replace(
        DEFAULT_MODEL,
        frequencies={"first_name": {"zebedee": 1e-6}, "last_name": {"okonkwo-baptiste": 1e-6}},
        rare={"first_name": 1e-6, "last_name": 1e-6},
    )
    a = record_from({"name": "Zebedee Okonkwo-Baptiste"}, [("email", "z@example.org", False)])
    b = record_from({"name": "Zebedee Okonkwo-Baptiste"}, [("phone", "+447700900123", False)])
    comparison = compare(a, b, rare)
    assert comparison.probability >= Thresholds().link
    decision = decide(a, b, comparison, Thresholds())
    assert decision.outcome == "review"
    assert "only the name agrees" in decision.reasons[0]
    # With anything else of theirs agreeing (a birth date), it links.
    c = record_from({"name": "Zebedee Okonkwo-Baptiste", "date_of_birth": "1980-01-02"})
    d = record_from({"name": "Zebedee Okonkwo-Baptiste", "date_of_birth": "1980-01-02"})
    assert decide(c, d, compare(c, d, rare), Thresholds()).outcome == "link"


def test_a_move_counts_once_against_the_same_name_and_birth_date() -> None:
    before = record_from(
        {
            "name": "Gregory Evans",
            "date_of_birth": "1953-12-04",
            "address": "17 Richmond Crescent, Leeds",
            "postcode": "AB30 1QF",
        }
    )
    after = record_from({"name": "Gregory Evans", "date_of_birth": "1953-12-04",
                         "address": "170 Forest View, Stockport",
                         "postcode": "PQ31 1XX"})  # fmt: skip
    comparison = compare(before, after, DEFAULT_MODEL)
    against = [e for e in comparison.evidence if e.weight < 0]
    # The house number, street, town and postcode all differ: one fact, a move, counted once.
    assert len(against) == 1 and against[0].field == "postcode"
    assert outcome(before, after).outcome == "link"
    # A twin (another first name) at the old address is still two people.
    twin = record_from({"name": "Graham Evans", "date_of_birth": "1953-12-04",
                        "address": "17 Richmond Crescent, Leeds",
                        "postcode": "AB30 1QF"})  # fmt: skip
    assert outcome(before, twin).outcome == "new"


def test_a_record_matching_the_person_but_no_one_record_of_theirs_links() -> None:
    # One customer: the branch wrote "Jaceb Lee" with the postcode, the email record the name
    # right and no postcode. A chat gives "Jacob Lee" and the postcode: neither record alone
    # is enough, the person is.
    branch = record_from({"name": "Jaceb Lee", "date_of_birth": "1982-07-09",
                          "postcode": "AB28 2UU"}, [("phone", "+447847667797", False)])  # fmt: skip
    email = record_from({"name": "Jacob Lee"}, [("email", "jacob.lee32@example.org", False)])
    chat = record_from({"name": "Jacob Lee", "postcode": "AB28 2UU"})
    candidates = {"branch": branch, "email": email}
    records = {"branch": [branch, email], "email": [branch, email]}
    alone = resolve_against(chat, candidates, DEFAULT_MODEL, Thresholds())
    assert alone.decision.outcome != "link"
    result = resolve_against(
        chat, candidates, DEFAULT_MODEL, Thresholds(), records_of=records.__getitem__
    )
    assert result.decision.outcome == "link", result.decision
    assert "everything known of the customer" in result.decision.reasons[0]
    # Her brother, same surname and postcode, is not taken for her.
    brother = record_from({"name": "Noah Lee", "postcode": "AB28 2UU"})
    other = resolve_against(
        brother, candidates, DEFAULT_MODEL, Thresholds(), records_of=records.__getitem__
    )
    assert other.decision.outcome != "link"
