"""Deterministic identity resolution: which customer record, if any, a set of identifiers names.

The rule: an identifier held by exactly one record names that record, a verified
match before an unverified one; a personal identifier verified on exactly one of
several holders names that one. A shareable identifier held by several records (a
household phone) names nobody on its own: the holders are reported as candidates
instead. Whether the event's source vouched for the match (verified on the event) is
reported, so the caller can check an unvouched match against the traits the event
carries (:mod:`warmline.domain.identity.matching`) before trusting it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from warmline.domain.identity.identifiers import UNNORMALISED, Identifier

#: Identifiers several people may genuinely share (a household landline, a family tablet).
SHAREABLE_KINDS = frozenset({"phone", "device"})


def shareable(identifier: Identifier) -> bool:
    """Whether several people may hold ``identifier``: a shareable kind, or a value kept
    as written because it would not normalise ("n/a", "none@", a phone of letters), which
    names someone only as long as nobody else wrote the same."""
    return identifier.kind in SHAREABLE_KINDS or identifier.quality == UNNORMALISED


@dataclass(frozen=True, slots=True)
class Holder:
    """A customer holding an identifier, and whether it was verified for them."""

    customer_id: str
    verified: bool


@dataclass(frozen=True, slots=True)
class Resolution:
    """The customer the identifiers name (or None), and who else could be meant."""

    customer_id: str | None
    candidates: tuple[str, ...] = field(default=())
    #: The event's own source vouched for the identifier that matched (verified on the
    #: event). A record's earlier verification is not enough: a household phone verified
    #: for one person is still picked up by another.
    verified: bool = False

    @property
    def ambiguous(self) -> bool:
        return self.customer_id is None and len(self.candidates) > 1


def resolve(
    identifiers: Sequence[Identifier], holders: Mapping[tuple[str, str], Sequence[Holder]]
) -> Resolution:
    """Apply the deterministic rule to ``identifiers`` given who holds each of them.

    Personal identifiers (email, account and customer numbers, ...) are tried first.
    Shareable ones (a phone, a device) only link when no personal identifier in the
    event says "someone else": a verified email nobody holds, next to a household
    phone, is a new person, not the phone's owner.
    """
    personal = [i for i in identifiers if not shareable(i)]
    shared = [i for i in identifiers if shareable(i)]
    candidates: dict[str, None] = {}
    found = _first_match(personal, holders, candidates)
    if found is not None:
        return Resolution(found[0], verified=found[1])
    stranger = any(i.verified and not holders.get((i.kind, i.value)) for i in personal)
    if not stranger:
        found = _first_match(shared, holders, candidates)
        if found is not None:
            return Resolution(found[0], verified=found[1])
    else:
        for ident in shared:
            candidates.update(
                (o.customer_id, None) for o in holders.get((ident.kind, ident.value), ())
            )
    return Resolution(None, tuple(candidates))


def _first_match(
    identifiers: Sequence[Identifier],
    holders: Mapping[tuple[str, str], Sequence[Holder]],
    candidates: dict[str, None],
) -> tuple[str, bool] | None:
    """The first record an identifier names, and whether the match was vouched for."""
    weak: str | None = None
    for ident in identifiers:
        owners = holders.get((ident.kind, ident.value), ())
        candidates.update((o.customer_id, None) for o in owners)
        verified = [o for o in owners if o.verified]
        if len(owners) == 1 or (len(verified) == 1 and not shareable(ident)):
            chosen = verified[0] if len(owners) > 1 else owners[0]
            if ident.verified or chosen.verified:
                return chosen.customer_id, ident.verified
            weak = weak or chosen.customer_id
    return (weak, False) if weak else None


#: Session handles: a person has many, so differing ones say nothing.
SESSION_KINDS = frozenset({"chat_session", "device"})


def verified_conflicts(a: Iterable[Identifier], b: Iterable[Identifier]) -> list[str]:
    """Kinds on which both sides have verified identifiers and share none of them.

    Two customers with, say, different verified customer numbers are two people as far
    as the sources know: they are never merged automatically, and a person merging them
    is asked to confirm.
    """
    mine: dict[str, set[str]] = {}
    theirs: dict[str, set[str]] = {}
    for side, out in ((a, mine), (b, theirs)):
        for ident in side:
            if ident.verified and ident.kind not in SESSION_KINDS:
                out.setdefault(ident.kind, set()).add(ident.value)
    return sorted(k for k in mine.keys() & theirs.keys() if not mine[k] & theirs[k])
