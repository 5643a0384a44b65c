"""Reads for finding customers by name: every match (up to a bound), what ranks them, and
what tells namesakes apart on a result page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.domain.identity.identifiers import mask_identifier
from warmline.domain.identity.names import name_tokens
from warmline.domain.identity.search import NameCandidate, postcode_district
from warmline.errors import InvalidRequest
from warmline.storage import schema as t
from warmline.storage.chunking import chunks

#: The most matches a name search ranks; past it, the search says so and asks for more.
MAX_MATCHES = 1000
#: Identifiers shown, masked, to tell namesakes apart: a phone (its last digits differ) or
#: else an email, verified first.
_HINT_KINDS = ("phone", "email")


def name_matches(conn: Connection, query: str) -> tuple[list[str], bool]:
    """Ids of customers whose name has a token starting with each token of ``query``, at
    most :data:`MAX_MATCHES`, and whether there were more."""
    tokens = name_tokens(query)
    if not tokens:
        raise InvalidRequest(
            "empty_query",
            "the name search has no letters or digits",
            hint="send ?q=<part of a name>",
        )
    matches: set[str] | None = None
    # The longest token narrows the most; its prefix range is an index scan on (token, customer).
    for token in sorted(tokens, key=len, reverse=True):
        query_ = (
            sa.select(t.name_tokens.c.customer_id)
            .where(t.name_tokens.c.token >= token, t.name_tokens.c.token < token + "\uffff")
            .distinct()
        )
        if matches is not None:
            if not matches:
                break
            query_ = query_.where(t.name_tokens.c.customer_id.in_(list(matches)))
        else:
            query_ = query_.limit(MAX_MATCHES + 1)
        matches = {r.customer_id for r in conn.execute(query_)}
    found = sorted(matches or ())
    return found[:MAX_MATCHES], len(found) > MAX_MATCHES


def name_candidates(conn: Connection, ids: Sequence[str]) -> list[NameCandidate]:
    """Each customer's name and last contact, for ranking."""
    c, i = t.customers, t.interactions
    names: dict[str, str | None] = {}
    last: dict[str, Any] = {}
    for chunk in chunks(ids):
        names.update(conn.execute(sa.select(c.c.id, c.c.name).where(c.c.id.in_(chunk))).all())
        last.update(
            conn.execute(
                sa.select(i.c.customer_id, sa.func.max(i.c.started_at))
                .where(i.c.customer_id.in_(chunk))
                .group_by(i.c.customer_id)
            ).all()
        )
    return [NameCandidate(cid, names[cid], last.get(cid)) for cid in ids if cid in names]


def search_summaries(conn: Connection, ids: Sequence[str]) -> list[dict[str, Any]]:
    """What a result shows, in the order of ``ids``: the name, since when, where (postcode
    district or town), a masked email or phone, and the last contact."""
    if not ids:
        return []
    c, i, n = t.customers, t.interactions, t.identifiers
    people = {
        r["id"]: r
        for r in conn.execute(
            sa.select(
                c.c.id, c.c.name, c.c.preferred_name, c.c.customer_since, c.c.status, c.c.traits
            ).where(c.c.id.in_(ids))
        ).mappings()
    }
    # Each customer's latest interaction, read from the (customer, started_at) index.
    ranked = (
        sa.select(
            i.c.customer_id,
            i.c.channel,
            i.c.started_at,
            sa.func.row_number()
            .over(partition_by=i.c.customer_id, order_by=i.c.started_at.desc())
            .label("n"),
        )
        .where(i.c.customer_id.in_(ids))
        .subquery()
    )
    latest = sa.select(ranked.c.customer_id, ranked.c.channel, ranked.c.started_at).where(
        ranked.c.n == 1
    )
    last = {row["customer_id"]: row for row in conn.execute(latest).mappings()}
    hints: dict[str, str] = {}
    held = (
        sa.select(n.c.customer_id, n.c.kind, n.c.value)
        .where(n.c.customer_id.in_(ids), n.c.kind.in_(_HINT_KINDS))
        .order_by(n.c.customer_id, n.c.verified.desc(), n.c.first_seen_at)
    )
    for row in conn.execute(held).mappings():
        hints.setdefault(row["customer_id"], mask_identifier(row["kind"], row["value"]))
    out = []
    for cid in ids:
        person = people.get(cid)
        if person is None:
            continue
        traits = person["traits"] or {}
        contact = last.get(cid)
        out.append(
            {
                "id": cid,
                "name": person["name"],
                "preferred_name": person["preferred_name"],
                "customer_since": person["customer_since"],
                "status": person["status"],
                "district": postcode_district(traits.get("postcode", {}).get("value")),
                "town": (traits.get("town") or traits.get("city") or {}).get("value"),
                "contact_hint": hints.get(cid),
                "last_contact_at": contact["started_at"] if contact else None,
                "last_contact_channel": contact["channel"] if contact else None,
            }
        )
    return out
