"""From a score to an outcome: link, review or new, with the reasons and the safety rules.

Thresholds are on the match probability (:class:`Thresholds`). On top of them,
four rules keep a quiet false merge from happening, whatever the score:

* two records with verified identifiers of the same kind that share no value
  (two different verified emails) never link: at most review;
* a shared phone number or email address never links on its own (a household
  phone, a family email): when nothing else agrees the pair is at most a review,
  with the reason "shares a phone number" / "shares an email address";
* a name alone never links: when nothing but the names agrees (a rare name, weighed
  by how rare it is in the memory, can reach the threshold on its own) the pair is at
  most a review, "only the name agrees";
* first names, dates of birth or generation suffixes that say "two people" never
  link, unless a national id (equal, or one typo apart) says otherwise: different
  first names, or alike but both real given names (Carl, Carol; Christina,
  Christopher); birth dates in different years; Jr and Sr. Twins
  and relatives share a surname, an address, a landline, even a birthday or a
  first name (John Smith senior and junior), and Fellegi-Sunter, which takes
  fields as independent, counts all that sharing as evidence of one person.
  Such a pair is not a review either: it is two people, and a queue that asks
  about every household is a queue nobody finishes.

These rules judge people, not pairs of records (:func:`apart`): a record that would
join a customer is checked against every record of that customer, so a record with no
birth date, which says nothing against the father, cannot make the son one customer
with him.

A generation suffix also says who else there is (:func:`namesake_at_home`): a person
written "Senior" has a son of the same name, most often at the same address. A record
without a suffix that agrees with such a customer only on the name and the address
could be either of them; it is put to a person unless something of one person's own
agrees too (a birth date, an email address, a mobile, a national id).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from warmline.domain.identity.identifiers import is_mobile
from warmline.domain.identity.matching.model import FIELDS, MatchModel, weight_of
from warmline.domain.identity.matching.record import (
    MatchRecord,
    is_given_name,
    person_record,
    read_names,
    surnames_of,
)
from warmline.domain.identity.matching.scoring import (
    D_DIFFERENT,
    EXACT,
    F_CLOSE,
    F_DIFFERENT,
    F_SIMILAR,
    F_SWAPPED,
    MISSING,
    N_EXACT,
    N_TYPO,
    Comparison,
    compare,
    comparison_levels,
    initial_fits,
    national_ids_agree,
    person_levels,
)

Outcome = Literal["link", "review", "new"]
_RANK: dict[str, int] = {"link": 2, "review": 1, "new": 0}
#: A link is ambiguous when another customer's match weight is within this many bits
#: (2**10: the best must be a thousand times likelier than the next).
AMBIGUITY_BITS = 10.0
_FIRST, _DOB, _EMAIL, _PHONE, _NATIONAL_ID = (
    FIELDS.index(name) for name in ("first_name", "date_of_birth", "email", "phone", "national_id")
)
_NAMES = frozenset({_FIRST, FIELDS.index("last_name")})
_KIND_LABELS = {"email": "email addresses", "phone": "phone numbers", "national_id": "national ids"}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Match-probability thresholds: at or above ``link`` a pair links, at or above
    ``review`` it is suggested for review, below it the new record is someone new.

    The defaults are round numbers: a link must be a hundred times likelier than not,
    the safety rules standing guard over the cases scores get wrong (relatives), and a
    person is asked only about a pair nine times likelier one person than two: a queue
    of pairs likelier than not held every name-alike two records had in common, and was
    more than people could finish. ``benchmarks/identity.py`` (FEBRL: precision 1.000),
    ``identity_scale.py`` and ``identity_contact_centre.py`` (a contact centre's memory
    with relatives; the queue's size and precision) show their effect.
    """

    link: float = 0.99
    review: float = 0.9
    #: Derived: the thresholds as match weights in bits.
    link_weight: float = field(init=False, repr=False, compare=False)
    review_weight: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 < self.review <= self.link < 1:
            raise ValueError("thresholds need 0 < review <= link < 1")
        object.__setattr__(self, "link_weight", weight_of(self.link))
        object.__setattr__(self, "review_weight", weight_of(self.review))


DEFAULT_THRESHOLDS = Thresholds()


class Decision(NamedTuple):
    """The outcome for a pair and the reasons for it, in words a supervisor reads.

    This and the other per-candidate results are named tuples, not frozen dataclasses:
    as immutable, and a third of the cost to build (one is built per candidate scored).
    """

    outcome: Outcome
    reasons: tuple[str, ...]


class ScoredCandidate(NamedTuple):
    """A candidate, how it compared with the new record, and the decision for the pair."""

    candidate_id: str
    comparison: Comparison
    decision: Decision


class MatchResult(NamedTuple):
    """The resolution of one new record against its candidates.

    ``best_id`` is the candidate to link to or review against (None when no
    candidate reaches review); ``decision`` is the outcome for the new record
    (``new`` when ``best_id`` is None); ``others`` are the other candidates that
    reached review or link, best first.
    """

    best_id: str | None
    comparison: Comparison | None
    decision: Decision
    others: tuple[ScoredCandidate, ...] = ()


def decide(
    new: MatchRecord,
    candidate: MatchRecord,
    comparison: Comparison,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Decision:
    """The outcome for the pair under ``thresholds`` and the safety rules."""
    p = comparison.probability
    if p >= thresholds.link:
        outcome: Outcome = "link"
        reasons = [f"match probability {p:.4f} reaches the link threshold {thresholds.link}"]
    elif p >= thresholds.review:
        outcome = "review"
        reasons = [
            f"match probability {p:.4f} is between the review ({thresholds.review}) "
            f"and link ({thresholds.link}) thresholds"
        ]
    else:
        outcome = "new"
        reasons = [f"match probability {p:.4f} is below the review threshold {thresholds.review}"]
    found = _separating(new, candidate, comparison)
    caps = [reason for _, reason in found]
    # Twins, a parent and child, spouses: two people, and nobody's question. Only a
    # conflict of verified identifiers on a pair that otherwise scores is put to a person.
    relatives = any(field != "verified" for field, _ in found)
    levels = comparison.levels
    shared = []
    if levels[_PHONE] == EXACT:
        shared.append("shares a phone number")
    if levels[_EMAIL] == EXACT:
        shared.append("shares an email address")
    if shared and (relatives or not _other_support(comparison)):
        caps[:0] = shared
    elif outcome == "link" and _name_alone(comparison):
        caps.append("only the name agrees: a namesake may be someone else")
    if relatives:
        outcome = "new"
    elif caps and outcome == "link":
        outcome = "review"
    return Decision(outcome, (*caps, *reasons) if caps else tuple(reasons))


def two_people(new: MatchRecord, candidate: MatchRecord, comparison: Comparison) -> list[str]:
    """Why the pair must be two people whatever its score (empty if nothing says so):
    conflicting verified identifiers, first names or birth years that differ."""
    return [reason for _, reason in _separating(new, candidate, comparison)]


def _separating(
    new: MatchRecord, candidate: MatchRecord, comparison: Comparison
) -> list[tuple[str, str]]:
    """(field, reason) for each thing that says the pair is two people."""
    found: list[tuple[str, str]] = []
    if new.verified and candidate.verified:
        found = [("verified", reason) for reason in _conflicting_verified(new, candidate)]
    levels = comparison.levels
    if levels[_NATIONAL_ID] in (N_EXACT, N_TYPO):
        return found  # an id equal but for a typo tells a mistyped record from a relative
    if _first_names_differ(new, candidate, levels[_FIRST]):
        first = comparison.evidence_of("first_name")
        assert first is not None  # the names were compared: both are known
        reason = f"first names differ ({first.left} / {first.right}): could be a relative"
        found.append(("first_name", reason))
    if levels[_DOB] == D_DIFFERENT:
        dob = comparison.evidence_of("date_of_birth")
        assert dob is not None
        reason = f"dates of birth differ ({dob.left} / {dob.right}): could be a relative"
        found.append(("date_of_birth", reason))
    if new.generation and candidate.generation and new.generation != candidate.generation:
        shown = f"{new.generation.title()} / {candidate.generation.title()}"
        found.append(("generation", f"name suffixes differ ({shown}): could be parent and child"))
    return found


def apart(ours: Sequence[MatchRecord], theirs: Sequence[MatchRecord]) -> list[str]:
    """Why the person the records ``ours`` describe and the person of ``theirs`` must be
    two people, judged on everything known of each (empty if nothing says so).

    A field separates them when both sides know it and no record of one agrees with any
    record of the other on it: first names (differing, or both real given names spelt
    alike; an initial that fits counts for neither), dates of birth (different years),
    generation suffixes (Jr, Sr); and verified
    identifiers of a kind that share no value. A national id held by both (equal, or one
    typo apart) says they are one person whatever else differs.
    """
    if any(national_ids_agree(a, b) for a in ours for b in theirs):
        return []
    pairs = [(a, b, person_levels(a, b)) for a in ours for b in theirs]
    found = _conflicting_verified(_verified_of(ours), _verified_of(theirs))
    everyone = [*ours, *theirs]
    given = {id(r): read_names(r, surnames_of(everyone, but=r))[0] for r in everyone}
    first = [
        said
        for a, b, levels in pairs
        if (said := _first_names_say_two(a, b, levels, given)) is not None
    ]
    if first and all(first):
        names = _both_sides(ours, theirs, lambda r: (r.first_name or "").title() or None)
        found.append(f"first names differ ({names}): could be a relative")
    dobs = [levels[_DOB] == D_DIFFERENT for _, _, levels in pairs if levels[_DOB] != MISSING]
    if dobs and all(dobs):
        dates = _both_sides(ours, theirs, lambda r: r.date_of_birth)
        found.append(f"dates of birth differ ({dates}): could be a relative")
    generations = [
        a.generation != b.generation for a, b, _ in pairs if a.generation and b.generation
    ]
    if generations and all(generations):
        shown = _both_sides(ours, theirs, lambda r: r.generation.title() if r.generation else None)
        found.append(f"name suffixes differ ({shown}): could be parent and child")
    return found


def namesake_at_home(
    ours: Sequence[MatchRecord], theirs: Sequence[MatchRecord], comparison: Comparison
) -> str | None:
    """Why the link of the pair ``comparison`` compares cannot tell a father from a son of
    the same name, or None: one side's records carry a generation suffix (Jr, Sr, III),
    the other's none, and nothing of one person's own agrees (a birth date, an email
    address, a mobile number, a national id): only the name and what a household
    shares. Both sides with one suffix are one generation; different suffixes are two
    people (:func:`apart`)."""
    suffixes = [{r.generation for r in side if r.generation} for side in (ours, theirs)]
    if bool(suffixes[0]) == bool(suffixes[1]) or _own_evidence(comparison):
        return None
    written = ", ".join(sorted(g.title() for g in suffixes[0] | suffixes[1]))
    return (
        f"one of them is written {written} and the other without: another of that name "
        "may live there, and no birth date or identifier of their own agrees"
    )


def _own_evidence(comparison: Comparison) -> bool:
    """Whether the pair agrees on something one person holds alone (a landline and an
    address are a household's)."""
    levels, weights = comparison.levels, comparison.weights
    if weights[_DOB] > 0 or weights[_NATIONAL_ID] > 0 or levels[_EMAIL] == EXACT:
        return True
    if levels[_PHONE] != EXACT:
        return False
    shared = set(comparison.left.phones) & set(comparison.right.phones)
    return any(is_mobile(phone) for phone in shared)


def _first_names_say_two(
    a: MatchRecord,
    b: MatchRecord,
    levels: tuple[int, ...],
    given: Mapping[int, str | None] | None = None,
) -> bool | None:
    """Whether the first names a record has gone by (its name now and the ones it was
    given before) say two people: True when no name of one agrees with any of the other,
    None when there is nothing to go by. An initial that fits a name, or a formal name a
    nickname stands for ("W" and Bill, for William), says nothing either way ("J Brooks"
    does not make Joseph and Jason one person, nor a record of Jeffrey's last written
    "J Owen" his twin Janet); one that does not fit says two people. Names written the
    other way round ("Hall Samantha" for Samantha Hall) agree (``levels``: the pair's)."""
    if levels[_FIRST] == F_SWAPPED:
        return False
    said: bool | None = None
    # "Reynolds James" beside James and William Reynolds is James (``given``: each
    # record's given name, read so; :func:`read_names`).
    gx = given.get(id(a), a.first_name) if given else a.first_name
    gy = given.get(id(b), b.first_name) if given else b.first_name
    for x in (gx, *a.former_first_names):
        for y in (gy, *b.former_first_names):
            if not x or not y:
                continue
            if len(x) == 1 or len(y) == 1:
                if not initial_fits(x, y):
                    said = True
                continue
            one, other = MatchRecord(first_name=x), MatchRecord(first_name=y)
            if not _first_names_differ(one, other, comparison_levels(one, other)[_FIRST]):
                return False
            said = True
    return said


def _verified_of(records: Sequence[MatchRecord]) -> MatchRecord:
    """A record holding only what ``records`` hold verified, for the verified-conflict rule."""
    verified = frozenset(pair for record in records for pair in record.verified)
    return MatchRecord(verified=verified)


def _both_sides(
    ours: Sequence[MatchRecord],
    theirs: Sequence[MatchRecord],
    value: Callable[[MatchRecord], str | None],
) -> str:
    def side(records: Sequence[MatchRecord]) -> str:
        return ", ".join(dict.fromkeys(v for r in records if (v := value(r))))

    return f"{side(ours)} / {side(theirs)}"


class CustomerOf(Mapping[str, str]):
    """Candidate record -> the customer it belongs to, looked up only when asked: the
    resolver asks about the few candidates that link, and the lookup may cost a read."""

    def __init__(self, records: Collection[str], customer: Callable[[str], str]) -> None:
        self._records, self._customer = records, customer

    def __getitem__(self, record_id: str) -> str:
        if record_id not in self._records:
            raise KeyError(record_id)
        return self._customer(record_id)

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)


def resolve_against(
    new: MatchRecord,
    candidates: Mapping[str, MatchRecord],
    model: MatchModel,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    customer_of: Mapping[str, str] | None = None,
    records_of: Callable[[str], Sequence[MatchRecord]] | None = None,
) -> MatchResult:
    """Score ``new`` against every candidate and decide: the best one, and the others.

    The best candidate is the one with the strongest outcome (link, then review),
    then the highest match weight. Candidates are taken to be different customers;
    an index holding several records per customer passes ``customer_of`` (candidate
    id to customer id) so that its records count as one.

    When another customer links almost as well (within :data:`AMBIGUITY_BITS`),
    the two are compared with each other. If they must be two people and the new
    record cannot tell which it is (John Smith senior and junior at one address,
    asked about without a birth date), the link is downgraded to a review.
    Otherwise the new record bridges two records of one person, and the other
    stays in ``others`` with its "link" decision, for the integrator to merge or
    suggest merging.

    ``records_of`` (candidate id to every record of the customer it belongs to) lets a
    link be judged against the whole customer (:func:`apart`): a candidate record that
    links, whose customer's other records say "two people", is someone else.
    """
    scored: list[ScoredCandidate] = []
    if records_of is not None:
        records_of = _read_once(records_of)  # asked again for the best
    for candidate_id, candidate in candidates.items():
        assessed = assess(new, candidate, model, thresholds)
        if assessed is None:
            continue
        comparison, decision = assessed
        if (
            decision.outcome == "link"
            and records_of is not None
            and _apart_from_customer(new, candidate, records_of(candidate_id))
        ):
            continue  # another record of its customer says: someone else
        scored.append(ScoredCandidate(candidate_id, comparison, decision))
    if records_of is not None and scored and not any(s.decision.outcome == "link" for s in scored):
        scored.sort(key=lambda s: s.comparison.weight, reverse=True)
        scored = [
            _as_person(new, s, model, thresholds, records_of) if rank < PERSON_RESCORES else s
            for rank, s in enumerate(scored)
        ]
    if not scored:
        return MatchResult(None, None, Decision("new", ("no candidate reaches review",)))
    scored.sort(key=lambda s: (_RANK[s.decision.outcome], s.comparison.weight), reverse=True)
    best, others = scored[0], tuple(scored[1:])
    decision = best.decision
    if decision.outcome == "link":
        customer = customer_of.get if customer_of is not None else None
        for rival in others:
            if rival.decision.outcome != "link":
                break  # sorted: no more links
            if best.comparison.weight - rival.comparison.weight >= AMBIGUITY_BITS:
                break
            if customer is not None and customer(rival.candidate_id) == customer(best.candidate_id):
                continue
            if _cannot_tell(new, best.comparison.right, rival.comparison.right, model):
                reason = f"matches {rival.candidate_id} about as well, and they are two people"
                decision = Decision("review", (reason, *decision.reasons))
                break
    if decision.outcome == "link" and records_of is not None:
        said = namesake_at_home([new], records_of(best.candidate_id), best.comparison)
        if said is not None:
            decision = Decision("review", (said, *decision.reasons))
    return MatchResult(best.candidate_id, best.comparison, decision, others)


def _read_once(
    records_of: Callable[[str], Sequence[MatchRecord]],
) -> Callable[[str], Sequence[MatchRecord]]:
    """``records_of``, each candidate's records read once (lighter than
    :func:`functools.cache`, made anew for every record resolved)."""
    read: dict[str, Sequence[MatchRecord]] = {}

    def once(candidate_id: str) -> Sequence[MatchRecord]:
        found = read.get(candidate_id)
        if found is None:
            found = read[candidate_id] = records_of(candidate_id)
        return found

    return once


#: Review candidates scored again against everything known of their customer, at most.
PERSON_RESCORES = 3


def _as_person(
    new: MatchRecord,
    scored: ScoredCandidate,
    model: MatchModel,
    thresholds: Thresholds,
    records_of: Callable[[str], Sequence[MatchRecord]],
) -> ScoredCandidate:
    """A candidate that reaches review, scored again against everything its customer's
    records know (:func:`person_record`): the same person's name written in full on one
    record and their postcode on another link a new record that gives both. It links only
    if nothing known of the customer says two people (:func:`apart`)."""
    records = records_of(scored.candidate_id)
    if len(records) < 2 or len(records) > 50:
        return scored
    person = person_record(scored.comparison.right, records)
    assessed = assess(new, person, model, thresholds)
    if assessed is None or assessed[1].outcome != "link" or apart([new], records):
        return scored
    comparison, decision = assessed
    reason = "matched against everything known of the customer, across its records"
    return ScoredCandidate(
        scored.candidate_id, comparison, Decision("link", (reason, *decision.reasons))
    )


def _apart_from_customer(
    new: MatchRecord, candidate: MatchRecord, records: Sequence[MatchRecord]
) -> list[str]:
    """Why ``new`` is someone else than the customer whose record ``candidate`` links to,
    judged on every record of that customer (empty if nothing says so)."""
    others = [r for r in records if r is not candidate]
    return apart([new], [candidate, *others]) if others else []


def assess(
    new: MatchRecord,
    candidate: MatchRecord,
    model: MatchModel,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> tuple[Comparison, Decision] | None:
    """Compare and decide one pair; None when it is neither a link nor a review.

    Pairs below the review threshold are dropped before :func:`decide`, which can only
    lower an outcome.
    """
    levels = comparison_levels(new, candidate)
    comparison = compare(new, candidate, model, levels)
    if comparison.weight < thresholds.review_weight:
        return None
    decision = decide(new, candidate, comparison, thresholds)
    return None if decision.outcome == "new" else (comparison, decision)


def _cannot_tell(new: MatchRecord, a: MatchRecord, b: MatchRecord, model: MatchModel) -> bool:
    """Whether ``a`` and ``b`` are two people and ``new`` lacks what tells them apart."""
    separating = {field for field, _ in _separating(a, b, compare(a, b, model))}
    if "verified" in separating:
        return True
    return any(getattr(new, field) is None for field in separating)


def _first_names_differ(new: MatchRecord, candidate: MatchRecord, level: int) -> bool:
    """Whether the first names say "two people": different, or spelt alike but both
    real given names (Carl and Carol, Christina and Christopher), unless only two
    neighbouring letters are swapped (Jeffrey, Jeffery). A typo seldom makes
    another real name ("Jonathan" as "Jonithan"), a relative's name always is one."""
    if level == F_DIFFERENT:
        return True
    a, b = new.first_name, candidate.first_name
    if level not in (F_CLOSE, F_SIMILAR) or not a or not b or _transposed(a, b):
        return False
    return is_given_name(a) and is_given_name(b)


def _transposed(a: str, b: str) -> bool:
    """Whether two names differ only by two neighbouring letters swapped (Jeffrey,
    Jeffery): a slip of the fingers, or one name's two spellings, never two names."""
    if len(a) != len(b):
        return False
    at = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return len(at) == 2 and at[1] == at[0] + 1 and a[at[0]] == b[at[1]] and a[at[1]] == b[at[0]]


def _conflicting_verified(new: MatchRecord, candidate: MatchRecord) -> list[str]:
    """Kinds both verified, with no value in common (a pair, or two people's records)."""
    if not new.verified or not candidate.verified:
        return []
    kinds = {kind for kind, _ in new.verified} & {kind for kind, _ in candidate.verified}
    conflicts = []
    for kind in sorted(kinds):
        ours = {value for k, value in new.verified if k == kind}
        theirs = {value for k, value in candidate.verified if k == kind}
        if ours.isdisjoint(theirs):
            conflicts.append(f"conflicting verified {_KIND_LABELS.get(kind, kind)}")
    return conflicts


def _name_alone(comparison: Comparison) -> bool:
    """Whether the names are all that speak for the pair: nothing else known on both
    sides agrees (a rare name, weighed by how rare it is, can reach the link threshold on
    its own; it is still only a name)."""
    return not any(
        weight > 0 for index, weight in enumerate(comparison.weights) if index not in _NAMES
    )


def _other_support(comparison: Comparison) -> bool:
    """Whether anything but a phone or an email speaks for the pair."""
    return any(
        weight > 0
        for index, weight in enumerate(comparison.weights)
        if index not in (_EMAIL, _PHONE)
    )
