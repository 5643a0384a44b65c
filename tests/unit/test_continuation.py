"""Continuation codes as plain rules: keyable, hashed slowly, short-lived, and bounded."""

from __future__ import annotations

import datetime as dt

from warmline.domain.identity import continuation as rules

AT = dt.datetime(2026, 11, 22, 10, 2, tzinfo=dt.UTC)


def test_codes_are_eight_digits_keyable_on_a_phone() -> None:
    codes = {rules.new_code() for _ in range(200)}
    assert all(len(c) == 8 and c.isdigit() for c in codes)
    assert len(codes) > 190  # random, not a counter


def test_codes_read_out_with_spaces_or_dashes_are_the_same_code() -> None:
    assert rules.normalise_code("1234 5678") == "12345678"
    assert rules.normalise_code(" 1234-5678 ") == "12345678"
    for bad in ("1234567", "123456789", "1234abcd", "１２３４５６７８", ""):
        assert rules.normalise_code(bad) is None, bad


def test_the_stored_hash_is_deterministic_and_says_nothing_of_the_code() -> None:
    digest = rules.code_hash("12345678")
    assert digest == rules.code_hash("12345678") != rules.code_hash("12345679")
    assert len(digest) == 64 and "12345678" not in digest


def test_a_code_lives_ten_minutes_or_as_long_as_its_verification() -> None:
    later = AT + dt.timedelta(hours=1)
    assert rules.code_expiry(AT, later, 10) == AT + dt.timedelta(minutes=10)
    soon = AT + dt.timedelta(minutes=4)
    assert rules.code_expiry(AT, soon, 10) == soon


def test_a_targeted_guessing_loop_cannot_realistically_succeed() -> None:
    # 5 wrong guesses burn the customer's codes; at most 3 of theirs are live; 10**8 codes.
    assert rules.targeted_success_bound() == 5 * 3 / 10**8
    assert rules.targeted_success_bound() < 1e-6
    # Even a year of the maximum 3 codes an hour, each attacked to the limit, stays under 1 %.
    assert 24 * 365 * rules.targeted_success_bound() < 0.01
    assert rules.SOURCE_FAILURES * (dt.timedelta(days=1) / rules.FAILURE_WINDOW) == 1440


def test_a_carried_method_says_how_it_travelled() -> None:
    assert rules.carried_method("app_biometric") == "app_biometric, by continuation code"
    assert len(rules.carried_method("x" * 600)) == 500
