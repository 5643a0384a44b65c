from __future__ import annotations

from warmline.domain.identity.matching import (
    MatchRecord,
    MemoryIndex,
    blocking_keys,
    record_from,
)
from warmline.domain.identity.matching.blocking import MAX_KEYS

from .matching_people import make_people

MILES = {
    "name": "Miles Okafor",
    "date_of_birth": "1980-02-01",
    "address": "12 Acacia Avenue, Leeds",
    "postcode": "LS1 4AB",
}


def test_keys_are_few_short_deterministic_and_hide_identifiers() -> None:
    many = [("email", f"m{i}@example.org", False) for i in range(20)]
    record = record_from(MILES, [("national_id", "AB123456C", False), *many])
    keys = blocking_keys(record)
    assert keys == blocking_keys(record_from(MILES, [("national_id", "AB123456C", False), *many]))
    assert len(keys) == MAX_KEYS == len(set(keys))
    assert all(len(key) < 64 for key in keys)
    assert not any("AB123456C" in key or "example.org" in key for key in keys)
    assert blocking_keys(record_from({}, [])) == []


def test_no_key_is_listed_twice() -> None:
    # First and last name sound alike ("Lee Lee"), and identifiers given twice.
    lee = record_from({**MILES, "name": "Lee Lee"}, [])
    assert len(blocking_keys(lee)) == len(set(blocking_keys(lee))) == 6
    twice = MatchRecord(last_name="okafor", national_ids=("AB1", "AB1"), emails=("m@x", "m@x"))
    # The national id, the same sorted (one typo apart), the email: once each.
    assert len(blocking_keys(twice)) == len(set(blocking_keys(twice))) == 3


def test_swapped_names_and_a_move_still_share_a_key() -> None:
    record = record_from(MILES, [])
    swapped = record_from({**MILES, "name": "Okafor Miles"}, [])
    moved = record_from({**MILES, "address": "3 Harbour Road, Bristol", "postcode": "BS1 5TT"}, [])
    assert set(blocking_keys(record)) & set(blocking_keys(swapped))
    assert set(blocking_keys(record)) & set(blocking_keys(moved))


def test_blocking_finds_the_true_match_under_noise() -> None:
    people = make_people(2000, duplicate_share=0.3)
    index = MemoryIndex()
    for record_id, record in people.records.items():
        index.add(record_id, record)
    pairs = people.true_pairs()
    found = sum(
        1 for pair in pairs for a, b in [tuple(pair)] if b in index.candidates(people.records[a])
    )
    assert found / len(pairs) >= 0.99
    average = sum(len(index.candidates(r)) for r in people.records.values()) / len(people.records)
    assert average < 15  # blocks stay small


def test_the_index_adds_updates_and_removes() -> None:
    index = MemoryIndex()
    miles = record_from(MILES, [])
    ada = record_from({**MILES, "name": "Ada Okafor"}, [])
    index.add("miles", miles)
    index.add("ada", ada)
    assert set(index.candidates(miles)) == {"miles", "ada"}
    assert set(index.candidates(miles, exclude="miles")) == {"ada"}
    moved = record_from({"name": "Ada Okafor", "postcode": "BS1 5TT"}, [])
    index.update("ada", moved)
    assert set(index.candidates(miles)) == {"miles"}
    assert index.get("ada") == moved and len(index) == 2 and "ada" in index
    index.remove("miles")
    assert index.candidates(miles) == {} and list(index) == ["ada"]
    assert all(index.block_size(key) == 0 for key in blocking_keys(miles))


def test_known_keys_index_and_find_like_computed_ones() -> None:
    miles = record_from(MILES, [])
    index = MemoryIndex()
    index.add("miles", miles, blocking_keys(miles))
    assert index.candidates(miles) == index.candidates(miles, keys=blocking_keys(miles))
    assert set(index.candidates(miles)) == {"miles"}
    assert index.candidates(miles, keys=["nd:NOPE|19000101"]) == {}


def test_blocks_over_the_cap_are_skipped() -> None:
    index = MemoryIndex(block_cap=3)
    for n in range(5):  # five people at one address share its household key
        index.add(f"p{n}", record_from({"address": "1 High St", "postcode": "LS1 4AB"}, []))
    newcomer = record_from({"address": "1 High St", "postcode": "LS1 4AB"}, [])
    assert index.candidates(newcomer) == {}
    index.remove("p0")
    index.remove("p1")
    assert len(index.candidates(newcomer)) == 3


def test_a_maiden_name_and_a_former_postcode_have_keys_of_their_own() -> None:
    from warmline.domain.identity.matching import record_from

    before = record_from({"name": "Ann Lee", "postcode": "YO1 7HH", "date_of_birth": "1984-03-02"})
    after = record_from(
        {"name": "Ann Okafor", "former_name": "Ann Lee", "postcode": "LS1 4AB",
         "former_postcode": "YO1 7HH", "date_of_birth": "1984-03-02"}
    )  # fmt: skip
    shared = set(blocking_keys(before)) & set(blocking_keys(after))
    assert {"nd:L000|19840302", "dp:19840302|YO17HH"} <= shared
    assert len(blocking_keys(after)) <= 16


def test_a_national_id_with_two_neighbours_swapped_meets_its_record_and_few_others() -> None:
    from itertools import permutations

    from warmline.domain.identity.matching.blocking import transposition_keys

    for national_id in ("1234567", "AB123456C", "9081726354", "4321"):
        keys = set(transposition_keys(national_id))
        for i in range(len(national_id) - 1):
            typed = national_id[:i] + national_id[i + 1] + national_id[i] + national_id[i + 2 :]
            assert keys & set(transposition_keys(typed)), (national_id, typed)
    # The same digits in another order are someone else's id: most share no key with it.
    others = {"".join(p) for p in permutations("1234567")} - {"1234567"}
    meeting = [o for o in others if set(transposition_keys(o)) & set(transposition_keys("1234567"))]
    assert len(meeting) < len(others) * 0.05
    # A short id keeps one key, its characters sorted.
    assert len(transposition_keys("AB1")) == 1 == len(set(transposition_keys("AB1")))
