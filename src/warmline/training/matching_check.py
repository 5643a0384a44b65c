"""Checking a match model before it is put in force, on pairs whose truth is known.

The memory's records carry no labels, so the check makes its own from them, the way
contact-centre records of one person and of a household differ:

* **the same person again**, written by another channel: a record kept to its name and
  one or two of its other fields (a chat gives a name and an email, a call a number and a
  birth date, a branch a name, birth date and postcode), with a typo, a nickname or an
  initial now and then;
* **a relative**: the same surname, address, postcode and landline, another first name
  and birth date (a spouse, a child), or the same birthday (a twin);
* **a namesake**: the same name, another postcode, and another birth date or none;
* **a neighbour**: the same postcode and street, another name.

Both models decide every pair with the same rules and thresholds; what each would link,
and what it would put to a person, is counted. :func:`worse` says whether the candidate
does worse: lower precision of its links, or more questions about different people.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

from rapidfuzz.distance import JaroWinkler

from warmline.domain.identity.identifiers import is_mobile
from warmline.domain.identity.matching import (
    MatchModel,
    MatchRecord,
    Thresholds,
    compare,
    decide,
)
from warmline.domain.identity.matching.record import name_forms
from warmline.domain.identity.matching.scoring import initial_fits

#: Records the check is built from (sampled when there are more).
CHECK_RECORDS = 2_000
#: A candidate may lose this much precision of links and still be put in force.
PRECISION_SLACK = 0.001
#: Suggestions about two different people, per 1,000 pairs, a queue may hold before more
#: of them count as worse, and by how much they may grow beyond the model in force's. A
#: longer queue of true pairs is not worse: it is work that finds people.
QUEUE_FLOOR, QUEUE_GROWTH = 10.0, 1.25


@dataclass(frozen=True, slots=True)
class CheckPair:
    left: MatchRecord
    right: MatchRecord
    same: bool
    kind: str


@dataclass(frozen=True, slots=True)
class CheckFigures:
    """How a model decides the check pairs."""

    pairs: int
    links: int
    false_links: int
    suggestions: int
    true_suggestions: int
    recall: float

    @property
    def precision(self) -> float:
        return 1.0 - self.false_links / self.links if self.links else 1.0

    @property
    def suggestions_per_1000(self) -> float:
        return 1000 * self.suggestions / self.pairs if self.pairs else 0.0

    @property
    def wasted_per_1000(self) -> float:
        """Suggestions about two different people, per 1,000 pairs."""
        wasted = self.suggestions - self.true_suggestions
        return 1000 * wasted / self.pairs if self.pairs else 0.0

    def describe(self) -> str:
        share = self.true_suggestions / self.suggestions if self.suggestions else 1.0
        return (
            f"precision {self.precision:.4f} ({self.false_links} false of {self.links} links), "
            f"recall {self.recall:.3f}, {self.suggestions_per_1000:.1f} suggestions per 1,000 "
            f"pairs ({share:.2f} of them one person)"
        )


def check_pairs(records: Sequence[MatchRecord], seed: int = 0) -> list[CheckPair]:
    """Labelled pairs made from ``records`` (those with a name): for each sampled record,
    the same person again, a relative and a namesake."""
    rng = random.Random(seed)
    named = [r for r in records if r.first_name and r.last_name]
    if len(named) > CHECK_RECORDS:
        named = rng.sample(named, CHECK_RECORDS)
    others = sorted({r.first_name for r in named if r.first_name and len(r.first_name) > 2})
    pairs: list[CheckPair] = []
    for record in named:
        pairs.append(CheckPair(record, _again(record, rng), True, "same person"))
        relative = _relative(record, others, rng)
        if relative is not None:
            pairs.append(CheckPair(record, relative, False, "relative"))
        pairs.append(CheckPair(record, _namesake(record, rng), False, "namesake"))
        neighbour = _neighbour(record, named, rng)
        if neighbour is not None:
            pairs.append(CheckPair(record, neighbour, False, "neighbour"))
    return pairs


def evaluate(model: MatchModel, thresholds: Thresholds, pairs: Sequence[CheckPair]) -> CheckFigures:
    """What ``model`` links and puts to a person among ``pairs``."""
    links = false_links = suggestions = true_suggestions = true_links = 0
    for pair in pairs:
        outcome = decide(pair.left, pair.right, compare(pair.left, pair.right, model), thresholds)
        if outcome.outcome == "link":
            links += 1
            false_links += not pair.same
            true_links += pair.same
        elif outcome.outcome == "review":
            suggestions += 1
            true_suggestions += pair.same
    same = sum(p.same for p in pairs)
    return CheckFigures(
        len(pairs), links, false_links, suggestions, true_suggestions, true_links / max(same, 1)
    )


def worse(candidate: CheckFigures, current: CheckFigures) -> list[str]:
    """Why ``candidate`` does worse than ``current`` (empty if it does not)."""
    why = []
    if candidate.precision < current.precision - PRECISION_SLACK:
        why.append(
            f"its links are less precise ({candidate.precision:.4f} against "
            f"{current.precision:.4f})"
        )
    allowed = max(QUEUE_FLOOR, current.wasted_per_1000 * QUEUE_GROWTH)
    if candidate.wasted_per_1000 > allowed:
        why.append(
            f"it would ask a person about {candidate.wasted_per_1000:.1f} pairs of different "
            f"people per 1,000, against {current.wasted_per_1000:.1f}"
        )
    return why


# --- making the pairs --------------------------------------------------------------------


def _again(record: MatchRecord, rng: random.Random) -> MatchRecord:
    """The same person as another channel writes them down: the name, and part of the rest."""
    keep = rng.choice(("contact", "identity", "place", "all"))
    again = replace(
        record,
        date_of_birth=record.date_of_birth if keep in ("identity", "all") else None,
        street_number=record.street_number if keep in ("place", "all") else None,
        street=record.street if keep in ("place", "all") else None,
        locality=record.locality if keep in ("place", "all") else None,
        postcode=record.postcode if keep in ("identity", "place", "all") else None,
        emails=record.emails if keep in ("contact", "all") else (),
        phones=record.phones if keep in ("contact", "all") else (),
        verified=frozenset(),
        former_last_names=(),
        former_first_names=(),
        former_addresses=(),
    )
    roll = rng.random()
    if roll < 0.1 and again.last_name:
        again = replace(again, last_name=_typo(again.last_name, rng))
    elif roll < 0.2 and again.first_name:
        again = replace(again, first_name=_typo(again.first_name, rng))
    elif roll < 0.25 and again.first_name:
        again = replace(again, first_name=again.first_name[0])
    return again


def _relative(record: MatchRecord, firsts: list[str], rng: random.Random) -> MatchRecord | None:
    """Someone of the same household: a first name nobody would take for theirs (no
    nickname of it, not spelt alike); another birth date, or for a twin the same one."""
    assert record.first_name is not None
    for _ in range(20):
        first = rng.choice(firsts) if firsts else record.first_name
        if (
            record.first_forms.isdisjoint(name_forms(first))
            and JaroWinkler.normalized_similarity(first, record.first_name) < 0.8
            and not initial_fits(record.first_name, first)  # "A" may be Aaron: no telling
        ):
            break
    else:
        return None
    born = record.date_of_birth
    if born and rng.random() < 0.7:  # years apart: no typo of the other's
        born = f"{int(born[:4]) + rng.choice((-33, -28, -22, 22, 25, 31)):04d}{born[4:]}"
    # What a household shares: the surname, the address, the landline; never one's own
    # email, mobile, national id or account.
    landlines = tuple(phone for phone in record.phones if not is_mobile(phone))
    return replace(
        record, first_name=first, date_of_birth=born, emails=(), phones=landlines,
        national_ids=(),
        identifiers=(), verified=frozenset(), generation=None, former_first_names=(),
        former_last_names=(),
    )  # fmt: skip


def _namesake(record: MatchRecord, rng: random.Random) -> MatchRecord:
    """Another person of the same name, elsewhere: another birth year (by more than one
    typed digit), or no birth date at all, which leaves it to the weights."""
    born = None
    if record.date_of_birth and rng.random() < 0.5:
        year = int(record.date_of_birth[:4]) + rng.choice((-22, -11, 11, 22))
        born = f"{year:04d}{record.date_of_birth[4:]}"
    return MatchRecord(
        first_name=record.first_name,
        last_name=record.last_name,
        date_of_birth=born,
        postcode=None if record.postcode is None else "X" + record.postcode[::-1],
    )


def _neighbour(
    record: MatchRecord, records: list[MatchRecord], rng: random.Random
) -> MatchRecord | None:
    """Someone else at the same postcode and street: another person's names."""
    if not record.postcode:
        return None
    other = rng.choice(records)
    if other.last_name == record.last_name or not record.first_forms.isdisjoint(other.first_forms):
        return None
    return MatchRecord(
        first_name=other.first_name,
        last_name=other.last_name,
        street=record.street,
        locality=record.locality,
        postcode=record.postcode,
    )


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    at = rng.randrange(1, len(word) - 1)
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
