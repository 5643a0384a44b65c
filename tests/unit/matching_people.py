"""A small deterministic population with planted duplicates, for the matching tests."""

from __future__ import annotations

import random
from dataclasses import dataclass

from warmline.domain.identity.matching import MatchRecord, record_from

_FIRST_NAMES = """james mary robert patricia john jennifer michael linda william elizabeth
david barbara richard susan joseph jessica thomas sarah charles karen daniel nancy matthew
lisa anthony margaret mark sandra paul ashley steven kimberly andrew emily joshua donna"""
_LAST_NAMES = """smith jones taylor brown williams wilson johnson davies robinson wright
thompson evans walker white roberts green hall wood jackson clarke patel khan lewis james
phillips mason mitchell rose davis rodriguez cox alexander okafor nguyen"""
FIRST = _FIRST_NAMES.split()
LAST = [base + ending for base in _LAST_NAMES.split() for ending in ("", "ford", "ley", "well")]
STREETS = ["acacia avenue", "mill lane", "high street", "church road", "station road", "park view"]
TOWNS = ["leeds", "york", "hull", "bath", "derby", "leicester"]


@dataclass(frozen=True)
class Population:
    records: dict[str, MatchRecord]
    #: Record id -> person id: records of one person share it.
    person: dict[str, str]

    def true_pairs(self) -> set[frozenset[str]]:
        by_person: dict[str, list[str]] = {}
        for record_id, person_id in self.person.items():
            by_person.setdefault(person_id, []).append(record_id)
        return {
            frozenset((a, b))
            for ids in by_person.values()
            for i, a in enumerate(ids)
            for b in ids[i + 1 :]
        }


def typo(word: str, rng: random.Random) -> str:
    """One character substituted (never the first, so the word stays recognisable)."""
    if len(word) < 3:
        return word
    at = rng.randrange(1, len(word))
    return word[:at] + rng.choice("aeioulnrst".replace(word[at], "")) + word[at + 1 :]


def make_people(count: int, duplicate_share: float = 0.3, seed: int = 1) -> Population:
    """``count`` people, ``duplicate_share`` of them with a second, noisy record."""
    rng = random.Random(seed)
    records: dict[str, MatchRecord] = {}
    person: dict[str, str] = {}
    for n in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        traits = {
            "name": f"{first} {last}",
            "date_of_birth": f"{rng.randint(1940, 2004)}-{rng.randint(1, 12):02d}-"
            f"{rng.randint(1, 28):02d}",
            "address": f"{rng.randint(1, 200)} {rng.choice(STREETS)}, {rng.choice(TOWNS)}",
            "postcode": f"LS{rng.randint(1, 30)} {rng.randint(1, 9)}{rng.choice('ABDEFG')}Z",
        }
        ids = [("national_id", f"AB{n:06d}C", False)]
        records[f"p{n}"], person[f"p{n}"] = record_from(traits, ids), f"p{n}"
        if rng.random() < duplicate_share:
            noisy = dict(traits)
            roll = rng.random()
            if roll < 0.4:
                noisy["name"] = f"{typo(first, rng)} {last}"
            elif roll < 0.6:
                noisy["name"] = f"{first} {typo(last, rng)}"
            elif roll < 0.7:
                noisy["name"] = f"{last}, {first}"
            else:
                noisy["address"] = f"{rng.randint(1, 200)} {rng.choice(STREETS)}, elsewhere"
                noisy["postcode"] = "M1 1AE"
            if rng.random() < 0.3:
                del noisy["date_of_birth"]
            dup_ids = ids if rng.random() < 0.5 else []
            records[f"d{n}"], person[f"d{n}"] = record_from(noisy, dup_ids), f"p{n}"
    return Population(records, person)
