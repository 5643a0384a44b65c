from __future__ import annotations

from warmline.domain.identity.matching import (
    DEFAULT_MODEL,
    Thresholds,
    find_duplicates,
    record_from,
)
from warmline.training.matching import train

from .matching_people import make_people


def test_dedupe_finds_the_planted_duplicates_once_each() -> None:
    people = make_people(1500, duplicate_share=0.2)
    model = train(list(people.records.values()))
    done: list[int] = []
    findings = find_duplicates(people.records, model, Thresholds(), progress=done.append)
    pairs = [frozenset((f.left_id, f.right_id)) for f in findings]
    assert len(pairs) == len(set(pairs))
    assert all(f.left_id < f.right_id for f in findings)
    links = {p for p, f in zip(pairs, findings, strict=True) if f.decision.outcome == "link"}
    truth = people.true_pairs()
    assert len(links & truth) / len(links) >= 0.99  # precision
    assert len(links & truth) / len(truth) >= 0.8  # recall, reviews aside
    # Links come first, strongest first.
    outcomes = [f.decision.outcome for f in findings]
    assert outcomes == sorted(outcomes, key=lambda o: o != "link")
    assert done[-1] == len(people.records) and done == sorted(done)


def test_dedupe_neither_merges_nor_suggests_a_household() -> None:
    phone = ("phone", "+441134960000", False)
    home = {"address": "12 Acacia Avenue, Leeds", "postcode": "LS1 4AB"}
    records = {
        "miles": record_from(
            {"name": "Miles Okafor", "date_of_birth": "1961-03-03", **home}, [phone]
        ),
        "ada": record_from({"name": "Ada Okafor", "date_of_birth": "1995-09-09", **home}, [phone]),
        "zoe": record_from({"name": "Zoe Brand", "postcode": "M1 1AE"}, []),
    }
    assert find_duplicates(records, DEFAULT_MODEL) == []
