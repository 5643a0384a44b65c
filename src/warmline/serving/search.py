"""Finding customers from one search box or ``?q=``: an identifier typed in full finds its
holders first, then names, best match and most recently in touch first; a page at a time,
with how many matched."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from warmline.domain.identity.identifiers import IdentifierError, normalise_leniently
from warmline.domain.identity.search import rank_by_name
from warmline.errors import InvalidRequest
from warmline.storage import customer_search, queries

#: Digits that make a query a phone, account or customer number rather than a name.
MIN_NUMBER_DIGITS = 6


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of results and where the rest are."""

    results: list[dict[str, Any]]
    total: int
    """How many matched (at most the name search's bound, see ``capped``)."""
    capped: bool
    """More names matched than are ranked: the query should say more."""
    offset: int
    next_offset: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "customers": self.results,
            "total": self.total,
            "total_is_lower_bound": self.capped,
            "offset": self.offset,
            "next_offset": self.next_offset,
        }


def search_customers(
    conn: Connection,
    q: str,
    *,
    region: str,
    limit: int = 20,
    offset: int = 0,
    identifier_only: bool = False,
) -> SearchPage:
    """Customers matching ``q``: ``kind:value``, an email or a number searches identifiers
    (exactly, normalised like ingest); words search names. ``identifier_only``: ``q`` is
    ``kind:value`` and nothing else is searched."""
    q = q.strip()
    by_identifier = _identifier_matches(conn, q, region, required=identifier_only)
    ids = list(by_identifier)
    capped = False
    if not identifier_only and not _is_identifier(q):
        matched, capped = customer_search.name_matches(conn, q)
        seen = set(ids)
        ranked = rank_by_name(
            q, customer_search.name_candidates(conn, [i for i in matched if i not in seen])
        )
        ids += [c.customer_id for c in ranked]
    page_ids = ids[offset : offset + limit]
    results = customer_search.search_summaries(conn, page_ids)
    for result in results:
        result["matched_by"] = "identifier" if result["id"] in by_identifier else "name"
    more = offset + limit < len(ids)
    return SearchPage(results, len(ids), capped, offset, offset + limit if more else None)


def _is_identifier(q: str) -> bool:
    kind, sep, _ = q.partition(":")
    return bool(sep and kind.isidentifier() and kind.islower()) or "@" in q


def _identifier_matches(conn: Connection, q: str, region: str, *, required: bool) -> list[str]:
    """Holders of the identifier ``q`` names, verified holders first."""
    kind, sep, value = q.partition(":")
    if sep and kind.isidentifier() and kind.islower():
        candidates = [(kind, value)]
    elif required:
        raise InvalidRequest(
            "invalid_identifier",
            "identifier must be written kind:value",
            hint="e.g. phone:+442079460958 or email:miles@example.org",
        )
    elif "@" in q:
        candidates = [("email", q)]
    elif sum(ch.isdigit() for ch in q) >= MIN_NUMBER_DIGITS:
        candidates = [("phone", q), ("account_number", q), ("customer_number", q)]
    else:
        return []
    ids: list[str] = []
    for kind, value in candidates:
        try:
            # As ingest keeps it: a value that does not normalise is held as written.
            kept = normalise_leniently(kind, value, default_region=region)
        except IdentifierError as exc:
            if len(candidates) == 1:
                raise InvalidRequest("invalid_identifier", str(exc)) from None
            continue
        ids.extend(queries.customers_by_identifier(conn, kind, kept.value))
    return list(dict.fromkeys(ids))
