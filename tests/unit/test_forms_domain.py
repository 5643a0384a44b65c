"""Facts with provenance, form definitions, what is on record, values checked, signed links."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from warmline.domain.access.signed_links import LinkError, read_link, sign_link
from warmline.domain.forms.catalogue import FACTS, ValueProblem, check_value
from warmline.domain.forms.definitions import FormError, parse_form
from warmline.domain.forms.prefill import on_record, shown_to_customer, source_words
from warmline.domain.profile.traits import Fact, fold_facts

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
SECRET = "s" * 40


def at(days_ago: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days_ago)


def test_the_value_in_force_follows_customer_then_record_then_inferred_in_any_order() -> None:
    facts = [
        Fact("address", "inferred road", "enrichment", at(1), kind="inferred", confidence=0.6),
        Fact("address", "crm road", "crm", at(30)),
        Fact("address", "newer crm road", "crm", at(10)),
        Fact("address", "said road", "app", at(400), kind="customer"),
    ]
    for order in itertools.permutations(facts):
        traits = fold_facts(order)
        assert traits["address"]["value"] == "said road"
        assert traits["address"]["confirmed_at"] == at(400).isoformat()
    records = fold_facts(facts[:3])
    assert records["address"]["value"] == "newer crm road"  # newer wins within a kind
    assert "kind" not in records["address"]  # a system of record is the default
    verified = Fact("address", "kyc road", "bank", at(90), verified=True)
    assert fold_facts([*facts[:3], verified])["address"]["value"] == "kyc road"
    assert fold_facts([facts[0]])["address"]["confidence"] == 0.6


def form(**field: Any) -> dict[str, Any]:
    base = {"field": "home", "label": "Home", "fact": "address", "max_age_days": 365}
    return {"id": "f", "title": "F", "sections": [{"title": "S", "fields": [{**base, **field}]}]}


def test_a_form_names_every_problem_with_where_it_is_and_what_to_do() -> None:
    data = form(fact="adress", max_age_days=-5)
    data["sections"][0]["fields"].append({"field": "home", "label": "Again", "fact": "postcode"})
    with pytest.raises(FormError) as caught:
        parse_form(data, "loan.yaml")
    problems = dict(caught.value.problems)
    assert "did you mean 'address'" in problems["sections[0].fields[0].fact"]
    assert "got -5" in problems["sections[0].fields[0].max_age_days"]
    assert "duplicate field 'home'" in problems["sections[0].fields[1].field"]
    assert str(caught.value).startswith("loan.yaml: ")


def test_a_sensitive_field_needs_a_verified_session_and_sections_keep_their_order() -> None:
    parsed = parse_form(form(), "f.yaml")
    home = parsed.fields[0]
    assert (home.sensitive, home.verified, home.max_age_days) == (True, True, 365)
    assert [title for title, _ in parsed.sections] == ["S"]
    assert parse_form(form(fact="employer"), "f.yaml").fields[0].verified is False


@pytest.mark.parametrize(
    ("fact", "given", "expected"),
    [
        ("postcode", " ls1  4ab ", "LS1 4AB"),
        ("email", "Elena@Example.ORG", "elena@example.org"),
        ("phone", "020 7946 0777", "+442079460777"),
        ("dependants", "2", 2),
        ("income_band", "40k_60k", "40k_60k"),
        ("date_of_birth", "1984-02-29", "1984-02-29"),
    ],
)
def test_values_are_normalised(fact: str, given: str, expected: Any) -> None:
    assert check_value(FACTS[fact], given, today=NOW.date()) == expected


@pytest.mark.parametrize(
    ("fact", "given", "code"),
    [
        ("postcode", "not a postcode", "invalid_value"),
        ("date_of_birth", "2030-01-01", "invalid_value"),
        ("date_of_birth", "yesterday", "invalid_value"),
        ("email", "nobody", "invalid_value"),
        ("dependants", "99", "invalid_value"),
        ("income_band", "loads", "invalid_value"),
        ("employer", "x" * 201, "too_long"),
        ("employer", "   ", "value_missing"),
    ],
)
def test_a_bad_value_says_why(fact: str, given: str, code: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        check_value(FACTS[fact], given, today=NOW.date())
    assert caught.value.code == code and caught.value.message


def test_what_is_on_record_says_where_from_how_old_and_whether_to_confirm_again() -> None:
    parsed = parse_form(
        {
            "id": "f",
            "title": "F",
            "sections": [
                {
                    "title": "S",
                    "fields": [
                        {"field": "home", "label": "Home", "fact": "address", "max_age_days": 365},
                        {"field": "mail", "label": "Email", "fact": "email", "max_age_days": 30},
                        {"field": "job", "label": "Employer", "fact": "employer"},
                    ],
                }
            ],
        },
        "f.yaml",
    )
    traits = fold_facts(
        [
            Fact("address", "14 Orchard Row, Leeds", "app", at(760)),
            Fact("address", "14 Orchard Row, Leeds", "web", at(20), kind="customer"),
        ]
    )
    identifiers = [
        {"kind": "email", "value": "old@example.org", "verified": False, "source": "crm",
         "first_seen_at": at(3000), "confirmed_at": None},
        {"kind": "email", "value": "new@example.org", "verified": False, "source": "app",
         "first_seen_at": at(100), "confirmed_at": None},
    ]  # fmt: skip
    home, mail, job = on_record(parsed, traits, identifiers, NOW)
    assert (home.value, home.kind, home.stale) == ("14 Orchard Row, Leeds", "customer", False)
    assert source_words(home, {}, NOW) == "You confirmed this 2 weeks ago."
    assert (mail.value, mail.stale) == ("new@example.org", True)
    assert mail.why_stale(NOW) == "recorded 3 months ago; confirm every 30 days"
    assert (
        source_words(mail, {"app": "your app profile"}, NOW)
        == "From your app profile, 3 months ago."
    )
    assert (job.value, job.stale, job.why_stale(NOW)) == (None, True, "nothing on record")


def test_the_customers_page_hides_the_sensitive_part_of_a_value() -> None:
    parsed = parse_form(
        {"id": "f", "title": "F", "sections": [{"title": "S", "fields": [
            {"field": "p", "label": "Phone", "fact": "phone"},
            {"field": "a", "label": "Home", "fact": "address"},
            {"field": "c", "label": "Postcode", "fact": "postcode"},
            {"field": "e", "label": "Employer", "fact": "employer"},
        ]}]},
        "f.yaml",
    )  # fmt: skip
    phone, home, postcode, employer = parsed.fields
    assert shown_to_customer(phone, "+442079460758") == "•••• 58"
    assert shown_to_customer(home, "14B Orchard Row, Leeds") == "•• Orchard Row, Leeds"
    assert shown_to_customer(postcode, "LS6 2QT") == "LS6 •••"
    assert shown_to_customer(employer, "Harrow & Finch") == "Harrow & Finch"


def test_a_link_is_refused_when_changed_expired_for_something_else_or_incomplete() -> None:
    token = sign_link(SECRET, "form", "lnk_1", NOW + dt.timedelta(minutes=15))
    assert read_link(SECRET, "form", token, NOW)["link_id"] == "lnk_1"
    body, signature = token.split(".")
    forged = sign_link(SECRET, "form", "lnk_2", NOW).split(".")[0] + "." + signature
    cases = {
        "link_tampered": (SECRET, "form", forged, NOW),
        "link_expired": (SECRET, "form", token, NOW + dt.timedelta(minutes=15)),
        "link_wrong_purpose": (SECRET, "checkin", token, NOW),
        "link_malformed": (SECRET, "form", body, NOW),
    }
    for code, args in cases.items():
        with pytest.raises(LinkError) as caught:
            read_link(*args)
        assert caught.value.code == code
    with pytest.raises(LinkError) as other_secret:
        read_link("t" * 40, "form", token, NOW)
    assert other_secret.value.code == "link_tampered"
