"""Deterministic identity resolution: which known customer, if any, a set of identifiers names.

The rule (probabilistic matching comes later): an identifier held by exactly
one customer names that customer, a verified match before an unverified one;
a personal identifier verified on exactly one of several holders names that
one. A shareable identifier held by several customers (a household phone)
names nobody on its own: the holders are reported as candidates instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from warmline.domain.identifiers import Identifier

#: Identifiers several people may genuinely share (a household landline, a family tablet).
SHAREABLE_KINDS = frozenset({"phone", "device"})


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
    personal = [i for i in identifiers if i.kind not in SHAREABLE_KINDS]
    shareable = [i for i in identifiers if i.kind in SHAREABLE_KINDS]
    candidates: dict[str, None] = {}
    found = _first_match(personal, holders, candidates)
    if found is not None:
        return Resolution(found)
    stranger = any(i.verified and not holders.get((i.kind, i.value)) for i in personal)
    if not stranger:
        found = _first_match(shareable, holders, candidates)
        if found is not None:
            return Resolution(found)
    else:
        for ident in shareable:
            candidates.update(
                (o.customer_id, None) for o in holders.get((ident.kind, ident.value), ())
            )
    return Resolution(None, tuple(candidates))


def _first_match(
    identifiers: Sequence[Identifier],
    holders: Mapping[tuple[str, str], Sequence[Holder]],
    candidates: dict[str, None],
) -> str | None:
    weak: str | None = None
    for ident in identifiers:
        owners = holders.get((ident.kind, ident.value), ())
        candidates.update((o.customer_id, None) for o in owners)
        verified = [o for o in owners if o.verified]
        if len(owners) == 1 or (len(verified) == 1 and ident.kind not in SHAREABLE_KINDS):
            chosen = verified[0] if len(owners) > 1 else owners[0]
            if ident.verified or chosen.verified:
                return chosen.customer_id
            weak = weak or chosen.customer_id
    return weak
