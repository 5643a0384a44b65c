from __future__ import annotations

from typing import Any

import pytest

from tests.factories import MILES, identified, make_event, message
from warmline.events import EVENT_TYPES, InvalidEvent, parse_event


def errors_of(envelope: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidEvent) as caught:
        parse_event(envelope)
    return [(e.field, e.code) for e in caught.value.errors]


def test_a_valid_event_is_parsed_with_normalised_identifiers_and_utc_time() -> None:
    event = parse_event(identified(time="2026-11-22T11:58:00+02:00"))
    assert event.type == "customer.identified"
    assert event.time.isoformat() == "2026-11-22T09:58:00+00:00"
    assert [i.value for i in event.payload.customer.identifiers] == [  # type: ignore[union-attr]
        "miles@example.org",
        "+442079460958",
    ]


def test_every_documented_type_is_known() -> None:
    assert len(EVENT_TYPES) == 16
    assert "activity" in EVENT_TYPES


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda e: e.pop("id"), ("/id", "missing_field")),
        (lambda e: e.pop("source"), ("/source", "missing_field")),
        (lambda e: e.update(type="customer.exploded"), ("/type", "unknown_event_type")),
        (lambda e: e.update(time="2026-11-22T10:00:00"), ("/time", "naive_timestamp")),
        (lambda e: e.update(time="yesterday"), ("/time", "invalid_timestamp")),
        # Year 1 at +01:00 is before year 1 in UTC: it could not be stored.
        (lambda e: e.update(time="0001-01-01T00:00:00+01:00"), ("/time", "invalid_timestamp")),
        (lambda e: e.update(specversion="0.3"), ("/specversion", "invalid_value")),
        (lambda e: e.update(data=[1, 2]), ("/data", "wrong_type")),
        (lambda e: e["data"].update(speaker="robot"), ("/data/speaker", "invalid_value")),
        (lambda e: e["data"].update(text=42), ("/data/text", "wrong_type")),
        (lambda e: e["data"].update(text="x" * 20_001), ("/data/text", "too_long")),
        (lambda e: e["data"].update(speeker="agent"), ("/data/speeker", "unknown_field")),
        (lambda e: e["data"].update(text="nul \x00 byte"), ("", "nul_character")),
    ],
)
def test_each_problem_has_a_field_and_a_stable_code(mutate: Any, expected: tuple[str, str]) -> None:
    envelope = message("c-1", "hello", customer=MILES)
    mutate(envelope)
    assert expected in errors_of(envelope)


def test_an_event_must_name_its_customer_unless_it_belongs_to_something() -> None:
    assert errors_of(make_event("activity", name="payment.failed")) == [
        ("/data/customer", "missing_field")
    ]
    feedback = make_event("feedback.submitted", kind="csat", score=4)
    assert errors_of(feedback) == [("/data", "missing_customer")]
    assert parse_event(message("c-1", "hi")).payload.customer is None


def test_a_bad_identifier_or_trait_is_a_warning_and_the_rest_is_kept() -> None:
    event = parse_event(
        identified(
            {
                "identifiers": [
                    {"kind": "email", "value": "ann@example.org"},
                    {"kind": "phone", "value": "12", "verified": True},
                ],
                "traits": {"name": "Ann Lee", "date_of_birth": "31/12/1980"},
            }
        )
    )
    assert [(w.field, w.code) for w in event.warnings] == [
        ("/data/customer/identifiers/1", "invalid_identifier"),
        ("/data/customer/traits/date_of_birth", "invalid_date"),
    ]
    ref = event.payload.customer
    assert ref is not None and ref.traits is not None
    kept = [i.to_identifier() for i in ref.identifiers]
    # The phone as written, unverified whatever the sender said; the name kept, the date not.
    assert [(i.kind, i.value, i.verified, i.quality) for i in kept] == [
        ("email", "ann@example.org", False, None),
        ("phone", "12", False, "unnormalised"),
    ]
    assert (ref.traits.name, ref.traits.date_of_birth) == ("Ann Lee", None)


def test_an_event_whose_only_identifier_cannot_be_kept_is_rejected() -> None:
    bad = identified({"identifiers": [{"kind": "Phone Number", "value": "020 7946 0958"}]})
    assert errors_of(bad) == [("/data/customer/identifiers/0", "invalid_identifier")]


def test_feedback_scores_are_checked_per_scale() -> None:
    nps = make_event("feedback.submitted", customer=MILES, kind="nps", score=11)
    assert errors_of(nps) == [("/data/score", "out_of_range")]
    assert parse_event(make_event("feedback.submitted", customer=MILES, kind="nps", score=0))


def test_free_attributes_must_be_scalars_and_bounded() -> None:
    nested = make_event(
        "activity", customer=MILES, name="payment.failed", attributes={"x": {"y": 1}}
    )
    assert errors_of(nested) == [("/data/attributes", "invalid_value")]
    many = make_event(
        "activity",
        customer=MILES,
        name="payment.failed",
        attributes={f"k{i}": i for i in range(51)},
    )
    assert errors_of(many) == [("/data/attributes", "too_many")]
    assert errors_of(make_event("activity", customer=MILES, name="Payment Failed")) == [
        ("/data/name", "invalid_value")
    ]


def test_html_and_control_characters_are_kept_verbatim() -> None:
    text = "<script>alert(1)</script>\x1b[31m\ttab"
    event = parse_event(message("c-1", text, customer=MILES))
    assert event.payload.text == text  # type: ignore[attr-defined]


def test_a_backslash_before_u0000_is_not_a_nul() -> None:
    text = r"path C:\u0000dir and \\u0000"
    assert parse_event(message("c-1", text, customer=MILES)).payload.text == text  # type: ignore[attr-defined]
    assert errors_of(message("c-1", "a\\\x00b", customer=MILES)) == [("", "nul_character")]


def test_a_non_object_event_is_rejected() -> None:
    assert errors_of("hello") == [("", "not_an_object")]
