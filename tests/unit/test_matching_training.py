from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warmline.domain.identity.matching import (
    DEFAULT_MODEL,
    blocking_keys,
    record_from,
)
from warmline.domain.identity.matching.blocking import BLOCK_CAP
from warmline.domain.identity.matching.model import FIELDS, MatchModel
from warmline.training.matching import SESSIONS, NotEnoughData, _blocked_pairs, train

from .matching_people import make_people

WHEN = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)


PEOPLE = make_people(3000, duplicate_share=0.3)


@pytest.fixture(scope="module")
def trained() -> MatchModel:
    return train(list(PEOPLE.records.values()), seed=7, trained_at=WHEN)


def test_em_recovers_sensible_weights(trained: MatchModel) -> None:
    dob = trained.field_model("date_of_birth")
    first = trained.field_model("first_name")
    national_id = trained.field_model("national_id")
    # Equal values are strong evidence, different values evidence against.
    for field in ("first_name", "last_name", "date_of_birth", "postcode", "national_id"):
        model = trained.field_model(field)
        assert model.level("exact").weight > 3, field
        assert model.level("different").weight < -1, field
    # Rarer agreements weigh more: a national id over a birthday over a first name
    # drawn from 36 common names.
    assert national_id.level("exact").weight > dob.level("exact").weight
    assert dob.level("exact").weight > first.level("exact").weight
    # A typo'd first name is still evidence for: the generator plants typos.
    assert first.level("close").weight > 0
    # u of an exact first name is about 1 in 36 (the names are drawn uniformly).
    assert first.level("exact").u == pytest.approx(1 / 36, rel=0.25)
    # Movers are duplicates too: a different postcode is weak evidence against, not a veto.
    assert -4 < trained.field_model("postcode").level("different").weight < -1
    # The prior puts about as many duplicate pairs among all pairs as were planted.
    n = len(PEOPLE.records)
    assert trained.prior * n * (n - 1) / 2 == pytest.approx(len(PEOPLE.true_pairs()), rel=0.25)
    assert (trained.records, trained.trained_at) == (n, WHEN)
    assert trained.pairs > 10_000


def test_em_keeps_what_the_data_cannot_tell(trained: MatchModel) -> None:
    # No emails or phones in the data: those fields keep the starting model's values.
    for field in ("email", "phone", "other_identifier"):
        assert trained.field_model(field) == DEFAULT_MODEL.field_model(field), field


def test_training_is_deterministic_for_a_seed(trained: MatchModel) -> None:
    records = list(make_people(3000, duplicate_share=0.3).records.values())
    assert train(records, seed=7, trained_at=WHEN) == trained  # a fresh, equal population
    other = train(records, seed=8, trained_at=WHEN)
    assert other != trained
    assert other.field_model("first_name").level("exact").weight == pytest.approx(
        trained.field_model("first_name").level("exact").weight, abs=0.3
    )


def test_progress_is_reported_up_to_the_total() -> None:
    calls: list[tuple[int, int]] = []
    records = list(make_people(500).records.values())
    train(records, max_pairs=30_000, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] == calls[-1][1]
    dones = [done for done, _ in calls]
    assert dones == sorted(set(dones))  # rising, and the end reported once


def test_too_few_records_or_duplicates_raise_not_enough_data() -> None:
    with pytest.raises(NotEnoughData, match="at least 100 records"):
        train(list(make_people(50).records.values()))
    strangers = [
        record_from({"name": f"Person{n} Surname{n}", "postcode": f"ZZ{n} 1AA"}, [])
        for n in range(300)
    ]
    with pytest.raises(NotEnoughData, match="too few to learn from"):
        train(strangers)


def test_a_trained_model_has_every_field() -> None:
    people = make_people(400)
    model = train(list(people.records.values()))
    assert tuple(f.name for f in model.fields) == FIELDS
    assert model.trained_at is not None and model.trained_at.tzinfo is dt.UTC


def test_known_blocking_keys_give_the_same_model() -> None:
    records = list(make_people(600).records.values())
    keys = [blocking_keys(record) for record in records]
    assert train(records, keys=keys, trained_at=WHEN) == train(records, trained_at=WHEN)
    with pytest.raises(ValueError, match="one list of blocking keys per record"):
        train(records, keys=keys[:-1])


def _pairs_by_definition(keys: list[list[str]], cap: int) -> dict[tuple[int, int], frozenset[str]]:
    """Every pair of records sharing a key of a block no larger than ``cap``, with the
    session kinds of the keys they share: what :func:`_blocked_pairs` computes, plainly."""
    blocks: dict[str, list[int]] = {}
    for index, record_keys in enumerate(keys):
        for key in record_keys:
            blocks.setdefault(key, []).append(index)
    pairs: dict[tuple[int, int], frozenset[str]] = {}
    for key, members in blocks.items():
        if len(members) > cap:
            continue
        for a, i in enumerate(members):
            for j in members[a + 1 :]:
                kinds = {key[:2]} & SESSIONS.keys()
                pairs[i, j] = pairs.get((i, j), frozenset()) | kinds
    return pairs


@st.composite
def _record_keys(draw: st.DrawFn) -> list[list[str]]:
    """Keys of up to 150 records; with few values some blocks pass the cap."""
    values = draw(st.integers(1, 60))
    key = st.builds(
        lambda kind, value: f"{kind}:{value}",
        st.sampled_from(["nn", "nd", "dp", "hn", "id", "zz"]),
        st.integers(0, values - 1),
    )
    return draw(st.lists(st.lists(key, max_size=5, unique=True), max_size=150))


@settings(max_examples=200, deadline=None)
@given(_record_keys(), st.integers(1, 400))
def test_blocked_pairs_are_every_pair_sharing_a_key_of_a_small_block(
    keys: list[list[str]], max_pairs: int
) -> None:
    expected = _pairs_by_definition(keys, BLOCK_CAP)
    found, total = _blocked_pairs(keys, random.Random(0), max_pairs)
    assert total == len(expected)
    assert len(found) == min(total, max_pairs)
    assert [(i, j) for i, j, _ in found] == sorted((i, j) for i, j, _ in found)
    for i, j, kinds in found:
        assert expected[i, j] == kinds


def test_a_block_at_the_cap_is_paired_and_one_over_it_is_not() -> None:
    at_cap = [["nn:a"] for _ in range(BLOCK_CAP)]
    over_cap = [["nd:b"] for _ in range(BLOCK_CAP + 1)]
    found, total = _blocked_pairs(at_cap + over_cap, random.Random(0), 10**6)
    assert total == BLOCK_CAP * (BLOCK_CAP - 1) // 2
    assert all(j < BLOCK_CAP and kinds == {"nn"} for _, j, kinds in found)


def test_a_key_listed_twice_for_one_record_pairs_it_with_others_only() -> None:
    # Keys read back from a key table may repeat; a record is never its own pair.
    found, total = _blocked_pairs(
        [["nn:a", "nn:a"], ["nn:a", "nd:b"], ["nd:b"]], random.Random(0), 10
    )
    assert (found, total) == ([(0, 1, frozenset({"nn"})), (1, 2, frozenset({"nd"}))], 2)


def test_training_learns_how_common_each_name_and_postcode_is(trained: MatchModel) -> None:
    shares = trained.frequencies["last_name"]
    assert shares and all(0 < share < 1 for share in shares.values())
    commonest = max(shares, key=shares.__getitem__)
    # A shared common surname counts for less than a shared rare one.
    assert trained.tf_adjustment("last_name", commonest) < trained.tf_adjustment(
        "last_name", "a-surname-nobody-has"
    )
    assert MatchModel.from_json(trained.to_json()) == trained
