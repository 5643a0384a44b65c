"""Finding a customer by name: the best matches first, and what tells namesakes apart.

A name search matches every customer with a name token starting with each word typed
(see :mod:`warmline.domain.identity.names`). They are ranked by how well the name
matches (the whole name as typed, then every word typed a whole word of the name, then
the first word typed the first name, then prefixes only), then by the most recent
contact, so the Miles who called this morning comes before the Miles from 2015.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from warmline.domain.identity.names import name_tokens

_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)
_OUTWARD = re.compile(r"^\s*([A-Za-z]{1,2}[0-9][A-Za-z0-9]?)\b")


@dataclass(frozen=True, slots=True)
class NameCandidate:
    """A customer a name search matched: their name and when they were last in touch."""

    customer_id: str
    name: str | None
    last_contact: dt.datetime | None = None


def match_quality(query: Sequence[str], name: str | None) -> int:
    """How well the tokens ``query`` match ``name``, 0 (prefixes only) to 4 (the whole name,
    in order)."""
    tokens = name_tokens(name)
    if not query or not tokens:
        return 0
    if list(query) == tokens:
        return 4
    whole = all(q in tokens for q in query)
    first = tokens[0] == query[0] or tokens[0].startswith(query[0])
    return 2 * whole + first


def rank_by_name(query: str, candidates: Sequence[NameCandidate]) -> list[NameCandidate]:
    """``candidates`` best match first, then the most recently in touch, then by name."""
    tokens = name_tokens(query)
    return sorted(
        candidates,
        key=lambda c: (
            -match_quality(tokens, c.name),
            -(c.last_contact or _NEVER).timestamp(),
            (c.name or "").casefold(),
            c.customer_id,
        ),
    )


def postcode_district(postcode: object) -> str | None:
    """The outward part of a UK-style postcode ('SW12 5AB' -> 'SW12'): enough to tell two
    namesakes apart without showing the address."""
    if not isinstance(postcode, str):
        return None
    found = _OUTWARD.match(postcode)
    return found.group(1).upper() if found else None
