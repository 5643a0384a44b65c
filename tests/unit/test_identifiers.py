from __future__ import annotations

import pytest

from warmline.domain.identity.identifiers import (
    NOT_VALID_FOR_REGION,
    UNNORMALISED,
    IdentifierError,
    mask_identifier,
    normalise_identifier,
    normalise_leniently,
)


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("phone", "+44 20 7946 0958", "+442079460958"),
        ("phone", "020 7946 0958", "+442079460958"),
        ("phone", "(020) 7946-0958", "+442079460958"),
        ("email", "  Miles.Okafor@Example.ORG ", "miles.okafor@example.org"),
        ("account_number", "12-34 5678", "12345678"),
        ("chat_session", " s-77 ", "s-77"),
    ],
)
def test_identifiers_are_normalised_with_the_fields_libraries(
    kind: str, raw: str, expected: str
) -> None:
    assert normalise_identifier(kind, raw) == expected


def test_phone_region_is_configurable() -> None:
    assert normalise_identifier("phone", "(212) 555-0100", default_region="US") == "+12125550100"


@pytest.mark.parametrize(
    ("kind", "raw", "says"),
    [
        ("phone", "12", "not a valid phone number"),
        ("phone", "call me maybe", "not a phone number"),
        ("email", "miles-at-example.org", "not an email address"),
        ("account_number", "12;DROP TABLE", "only letters and digits"),
        ("Email", "a@b.org", "kind must be lower-case"),
        ("email", "   ", "empty"),
        ("device", "x" * 300, "longer than 256"),
        ("device", "abc\x07", "control characters"),
    ],
)
def test_bad_identifiers_say_what_is_wrong(kind: str, raw: str, says: str) -> None:
    with pytest.raises(IdentifierError, match=says):
        normalise_identifier(kind, raw)


def test_masking_shows_enough_to_confirm_not_to_copy() -> None:
    assert mask_identifier("phone", "+442079460958") == "+44•••••0958"
    assert mask_identifier("email", "miles@example.org") == "m•••@example.org"
    assert mask_identifier("account_number", "12345678") == "••••5678"
    assert mask_identifier("chat_session", "s-77") == "s-77"


@pytest.mark.parametrize(
    ("kind", "raw", "kept", "quality"),
    [
        ("phone", "020 7946 0958", "+442079460958", None),
        # Possible for GB but not in an allocated range: normalised, marked.
        ("phone", "07700 900123", "+447700900123", NOT_VALID_FOR_REGION),
        ("phone", "12", "12", UNNORMALISED),
        ("phone", "call me maybe", "call me maybe", UNNORMALISED),
        ("email", "miles@", "miles@", UNNORMALISED),
        ("account_number", "12;DROP", "12;DROP", UNNORMALISED),
        ("device", "abc\x07", "abc\x07", UNNORMALISED),
    ],
)
def test_ingest_keeps_what_will_not_normalise(
    kind: str, raw: str, kept: str, quality: str | None
) -> None:
    found = normalise_leniently(kind, raw)
    assert (found.value, found.quality) == (kept, quality)
    assert (found.problem is None) == (quality is None)


@pytest.mark.parametrize(("kind", "raw"), [("Email", "a@b.org"), ("email", " "), ("d", "x" * 300)])
def test_nothing_is_kept_of_a_malformed_kind_or_an_empty_or_huge_value(kind: str, raw: str) -> None:
    with pytest.raises(IdentifierError):
        normalise_leniently(kind, raw)
