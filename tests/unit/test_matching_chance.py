from __future__ import annotations

import random
from collections import Counter

import pytest

from warmline.domain.identity.matching import record_from
from warmline.domain.identity.matching.model import FIELDS
from warmline.training.matching_chance import (
    WITHIN_POSTCODE,
    exact_agreement,
    postcode_patterns,
    without_matches,
)


def test_exact_agreement_is_the_share_of_pairs_sharing_a_value() -> None:
    records = [
        record_from({"name": name, "postcode": postcode, "address": address}, [])
        for name, postcode, address in [
            ("Ann Lee", "LS1 1AA", "1 High St, Leeds"),
            ("Ann Kay", "LS1 1AA", "2 High St, Leeds"),
            ("Bob Lee", "LS1 1AA", "3 Low Rd, Leeds"),
            ("Cat Roe", "M1 1AE", "4 Mill Ln, Leeds"),
        ]
    ]
    rates = dict(zip(FIELDS, exact_agreement(records), strict=True))
    # 4 records: 12 ordered pairs of different records; "ann" is shared by 2 of them.
    assert rates["first_name"] == pytest.approx(2 / 12)
    assert rates["last_name"] == pytest.approx(2 / 12)
    assert rates["postcode"] == pytest.approx(6 / 12)
    assert rates["locality"] == pytest.approx(1.0)
    # Among the 6 ordered pairs sharing LS1 1AA, 2 share the street too.
    assert rates["street_within_postcode"] == pytest.approx(2 / 6)
    assert rates["date_of_birth"] is None and rates["email"] is None


def test_identifier_agreement_is_counted_over_the_records_holding_one() -> None:
    records = [
        record_from({"name": "Ann Lee"}, ids)
        for ids in [
            [("national_id", "AB123456C", False), ("email", "home@example.org", False)],
            [("national_id", "AB123456C", False), ("email", "home@example.org", False)],
            [("national_id", "ZX987654A", False), ("email", "ann@example.org", False)],
            [("email", "ann@example.org", False), ("email", "work@example.org", False)],
            [],
        ]
    ]
    rates = dict(zip(FIELDS, exact_agreement(records), strict=True))
    # Three records hold a national id: 6 ordered pairs, 2 of them share one.
    assert rates["national_id"] == pytest.approx(2 / 6)
    # Four hold an email: 12 ordered pairs; home@ is shared by 2, ann@ by 2.
    assert rates["email"] == pytest.approx(4 / 12)
    assert rates["phone"] is None and rates["other_identifier"] is None


def test_postcode_pairs_are_drawn_only_among_records_sharing_one() -> None:
    records = [
        record_from({"address": f"{n} High St, Leeds", "postcode": "LS1 1AA"}, []) for n in range(3)
    ]
    records.append(record_from({"postcode": "M1 1AE"}, []))
    patterns = postcode_patterns(records, 50, random.Random(1))
    assert sum(patterns.values()) == 50
    # Three neighbours on High St: the street agrees exactly, the town too; nothing
    # else is compared, as nothing else is learned from these pairs.
    street, town = (FIELDS.index(name) for name in WITHIN_POSTCODE)
    expected = tuple(0 if f in (street, town) else -1 for f in range(len(FIELDS)))
    assert set(patterns) == {expected}
    assert postcode_patterns(records[3:], 50, random.Random(1)) == Counter()


def test_hidden_duplicates_are_taken_out_of_u() -> None:
    u = [[0.002, 0.998]] * len(FIELDS)
    m = [[0.9, 0.1]] * len(FIELDS)
    cleaned = without_matches(u, m, prior=0.002)
    # An identifier: nine in ten of the agreements counted were the duplicates, a tenth
    # is left.
    email = FIELDS.index("email")
    assert cleaned[email][0] == pytest.approx((0.002 - 0.002 * 0.9) / 0.998, rel=0.01)
    assert sum(cleaned[email]) == pytest.approx(1.0)


def test_a_trait_shared_by_chance_keeps_a_quarter_of_what_was_counted() -> None:
    # A birth date: the share of duplicates is an estimate (households make it high), and
    # strangers do share birthdays; taken out whole, a birthday alone would link them.
    u = [[0.002, 0.998]] * len(FIELDS)
    m = [[0.9, 0.1]] * len(FIELDS)
    cleaned = without_matches(u, m, prior=0.002)
    born = FIELDS.index("date_of_birth")
    assert cleaned[born][0] == pytest.approx(0.0005, rel=0.01)
    assert sum(cleaned[born]) == pytest.approx(1.0)
