"""Read queries for identity: customer records and their state, merges, suggestions, and
what a merge would do (the preview)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.domain.identity.evidence import evidence_json
from warmline.domain.identity.identifiers import Identifier
from warmline.domain.identity.matching import compare, record_from
from warmline.domain.identity.resolution import verified_conflicts
from warmline.domain.profile.traits import FACT_COLUMNS, Fact, fact_of, fold_facts
from warmline.storage import schema as t
from warmline.storage.chunking import chunks
from warmline.storage.cursors import decode_cursor, encode_cursor
from warmline.storage.identity_config import load_matching

MATCH_TRAITS = (
    "name", "date_of_birth", "address", "postcode", "former_name", "former_address",
    "former_postcode",
)  # fmt: skip


def customer_state(conn: Connection, customer_id: str) -> dict[str, Any] | None:
    c = t.customers
    row = conn.execute(
        sa.select(c.c.id, c.c.status, c.c.merged_into, c.c.name).where(c.c.id == customer_id)
    ).mappings()
    found = row.first()
    return dict(found) if found else None


def cluster_of(conn: Connection, roots: Iterable[str]) -> set[str]:
    """Every record of the customers ``roots``: the roots and the records merged into them."""
    c = t.customers
    found = set(roots)
    for chunk in chunks(list(found)):
        found.update(conn.execute(sa.select(c.c.id).where(c.c.merged_into.in_(chunk))).scalars())
    return found


def live_root(conn: Connection, record_id: str) -> str:
    """The live customer a record belongs to (the record itself unless merged)."""
    state = customer_state(conn, record_id)
    if state is not None and state["status"] == "merged":
        return str(state["merged_into"])
    return record_id


def identifiers_of(conn: Connection, customer_id: str) -> list[Identifier]:
    i = t.identifiers
    rows = conn.execute(
        sa.select(i.c.kind, i.c.value, i.c.verified).where(i.c.customer_id == customer_id)
    )
    return [Identifier(r.kind, r.value, r.verified) for r in rows]


def _traits(conn: Connection, customer_id: str) -> dict[str, Any]:
    value = conn.execute(
        sa.select(t.customers.c.traits).where(t.customers.c.id == customer_id)
    ).scalar()
    return dict(value or {})


def compare_customers(conn: Connection, a: str, b: str) -> dict[str, Any]:
    """Score two live customers against each other with the matching model in force."""
    config = load_matching(conn)
    records = []
    for customer_id in (a, b):
        traits = _traits(conn, customer_id)
        plain = {k: traits[k]["value"] for k in MATCH_TRAITS if k in traits}
        idents = [(i.kind, i.value, i.verified) for i in identifiers_of(conn, customer_id)]
        records.append(record_from(plain, idents))
    comparison = compare(records[0], records[1], config.model)
    return {"evidence": evidence_json(comparison, None), "probability": comparison.probability}


def merge_row(conn: Connection, merge_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(t.merges).where(t.merges.c.id == merge_id)).mappings().first()
    return dict(row) if row else None


def merges_of(conn: Connection, records: Iterable[str]) -> list[dict[str, Any]]:
    """Every merge (in force or undone) that involved any of ``records``, newest first."""
    m = t.merges
    return _touching(conn, m, (m.c.from_id, m.c.into_id), m.c.made_at, records)


def suggestion_row(
    conn: Connection, suggestion_id: str, *, for_update: bool = False
) -> dict[str, Any] | None:
    """The suggestion; ``for_update`` locks its row until the transaction ends (PostgreSQL;
    SQLite's writers hold the whole database already), so that two people deciding it at
    once are served one after the other and the second finds it settled."""
    s = t.merge_suggestions
    query = sa.select(s).where(s.c.id == suggestion_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def suggestions_touching(conn: Connection, records: Iterable[str]) -> list[dict[str, Any]]:
    """Every suggestion naming any of ``records`` on either side, newest first."""
    s = t.merge_suggestions
    return _touching(conn, s, (s.c.customer_id, s.c.candidate_id), s.c.created_at, records)


def _touching(
    conn: Connection,
    table: sa.Table,
    sides: tuple[sa.Column[Any], sa.Column[Any]],
    at: sa.Column[Any],
    records: Iterable[str],
) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for chunk in chunks(sorted(set(records))):
        query = sa.select(table).where(sa.or_(sides[0].in_(chunk), sides[1].in_(chunk)))
        found.update((r["id"], dict(r)) for r in conn.execute(query).mappings())
    return sorted(found.values(), key=lambda r: (r[at.key], r["id"]), reverse=True)


def open_suggestions(
    conn: Connection, *, limit: int, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Open suggestions, those the customer confirmed first, then the newest; each with
    both customers as they are now. Paged by a cursor over that order: pass the returned
    ``next_cursor`` back as ``cursor`` (None when this page is the last)."""
    s = t.merge_suggestions
    unanswered = sa.case((s.c.customer_answer.is_(None), 1), else_=0)
    query = (
        sa.select(s, unanswered.label("unanswered"))
        .where(s.c.status == "open")
        .order_by(unanswered, s.c.created_at.desc(), s.c.id.desc())
        .limit(limit + 1)
    )
    if cursor is not None:
        rank, at, last_id = decode_cursor(cursor, int, dt.datetime, str)
        query = query.where(
            sa.or_(
                unanswered > rank,
                sa.and_(
                    unanswered == rank,
                    sa.or_(s.c.created_at < at, sa.and_(s.c.created_at == at, s.c.id < last_id)),
                ),
            )
        )
    rows = [dict(r) for r in conn.execute(query).mappings()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(last["unanswered"], last["created_at"], last["id"])
    return [
        with_sides(conn, {k: v for k, v in row.items() if k != "unanswered"}) for row in rows
    ], (next_cursor)


def count_open_suggestions(conn: Connection) -> int:
    s = t.merge_suggestions
    return int(
        conn.execute(
            sa.select(sa.func.count()).select_from(s).where(s.c.status == "open")
        ).scalar_one()
    )


def with_sides(conn: Connection, suggestion: dict[str, Any]) -> dict[str, Any]:
    """A suggestion with a summary of each side's live customer."""
    sides = {}
    for key in ("customer_id", "candidate_id"):
        live = live_root(conn, suggestion[key])
        sides[key.replace("_id", "")] = side_summary(conn, live)
    return {**suggestion, **sides}


def side_summary(conn: Connection, customer_id: str) -> dict[str, Any]:
    """What a person deciding a merge sees of one side."""
    c = t.customers
    row = (
        conn.execute(
            sa.select(c.c.id, c.c.name, c.c.customer_since, c.c.created_at, c.c.traits).where(
                c.c.id == customer_id
            )
        )
        .mappings()
        .first()
    )
    assert row is not None
    counts = {}
    for table in (t.interactions, t.cases, t.commitments, t.facts):
        counts[table.name] = conn.execute(
            sa.select(sa.func.count()).select_from(table).where(table.c.customer_id == customer_id)
        ).scalar_one()
    traits = row["traits"] or {}
    return {
        "id": row["id"],
        "name": row["name"],
        "customer_since": row["customer_since"],
        "first_seen": row["created_at"],
        "traits": {k: traits[k] for k in MATCH_TRAITS if k in traits},
        "identifiers": [
            {"kind": i.kind, "value": i.value, "verified": i.verified}
            for i in identifiers_of(conn, customer_id)
        ],
        "counts": counts,
    }


def preview(conn: Connection, from_id: str, into_id: str) -> dict[str, Any]:
    """What merging ``from_id`` into ``into_id`` would do, without doing it."""
    comparison = compare_customers(conn, from_id, into_id)
    conflicts = verified_conflicts(identifiers_of(conn, from_id), identifiers_of(conn, into_id))
    facts: list[Fact] = []
    f = t.facts
    for customer_id in (from_id, into_id):
        rows = conn.execute(
            sa.select(*(f.c[name] for name in FACT_COLUMNS)).where(f.c.customer_id == customer_id)
        )
        facts.extend(fact_of(r) for r in rows)
    before = {cid: _traits(conn, cid) for cid in (from_id, into_id)}
    merged = fold_facts(facts)
    result = {
        key: {
            **entry,
            "from": "both"
            if all(before[c].get(key, {}).get("value") == entry["value"] for c in before)
            else (
                "into" if before[into_id].get(key, {}).get("value") == entry["value"] else "from"
            ),
        }
        for key, entry in merged.items()
    }
    return {
        "from": side_summary(conn, from_id),
        "into": side_summary(conn, into_id),
        "probability": comparison["probability"],
        "evidence": comparison["evidence"],
        "conflicts": conflicts,
        "traits_after": result,
    }
