"""Put every row on the live customer of the record it was recorded on.

Merges, undos and the end of a rebuild all come down to the same step: for a set of
customer records, replay the merges in force among them
(:func:`warmline.domain.identity.clusters.cluster_roots`), move the rows of every record whose
live customer changed, and recompute what a customer aggregates from its records
(traits from facts, the name columns, search tokens). Because rows carry their origin
and traits are an order-independent fold (:mod:`warmline.domain.profile.traits`), the result
depends only on the events and on which merges are in force, never on the order in
which merges were made and undone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.actions.projection.batch import write_name_tokens
from warmline.actions.projection.rows import BRIDGE
from warmline.domain.identity.clusters import cluster_roots
from warmline.domain.profile.traits import FACT_COLUMNS, Fact, fact_of, fold_facts, trait_columns
from warmline.storage import schema as t
from warmline.storage.chunking import chunks


@dataclass
class Reclustered:
    """What a reclustering changed: records moved ``{origin: (old root, new root)}`` and
    merges that fell away with it (shared-identifier links whose holders parted)."""

    moved: dict[str, tuple[str, str]] = field(default_factory=dict)
    released: list[str] = field(default_factory=list)


def recluster(conn: Connection, records: set[str], *, now: dt.datetime) -> Reclustered:
    """Recompute the customers of ``records`` (whole clusters) from the merges in force."""
    result = Reclustered()
    while True:
        edges = _active_merges(conn, records)
        roots = cluster_roots(records, [(e["from_id"], e["into_id"]) for e in edges])
        parted = [e["id"] for e in edges if len({roots.get(r, r) for r in _held_together(e)}) > 1]
        if not parted:
            break
        # The records a link relied on being one customer (the holders of a shared
        # identifier, or records that would otherwise have made a match ambiguous) are
        # no longer one: the link goes too, as if it had never been made.
        conn.execute(
            t.merges.update()
            .where(t.merges.c.id.in_(parted))
            .values(
                status="undone", undone_at=now, undone_by="warmline", undo_reason="holders parted"
            )
        )
        result.released.extend(parted)
    before = _current_roots(conn, records)
    result.moved = {o: (before[o], roots[o]) for o in records if before[o] != roots[o]}
    _move_rows(conn, result.moved)
    _set_status(conn, {o: roots[o] for o in records})
    _recompute_customers(conn, roots)
    return result


def _held_together(merge: dict[str, Any]) -> list[str]:
    evidence = merge["evidence"] or {}
    return list(evidence.get("holders", [])) + list(evidence.get("grouped", []))


def _active_merges(conn: Connection, records: set[str]) -> list[dict[str, Any]]:
    m = t.merges
    found: list[dict[str, Any]] = []
    for chunk in chunks(sorted(records)):
        query = sa.select(m.c.id, m.c.from_id, m.c.into_id, m.c.rule, m.c.evidence, m.c.made_at)
        found.extend(
            dict(r)
            for r in conn.execute(
                query.where(m.c.from_id.in_(chunk), m.c.status == "active")
            ).mappings()
        )
    return sorted(found, key=replay_order)


def replay_order(merge: dict[str, Any]) -> tuple[dt.datetime, bool, str]:
    """Merges in the order they were made: by time, and within one event's time the link
    before the bridges ingest made after it (which record is the root depends on it)."""
    return merge["made_at"], bool((merge["evidence"] or {}).get(BRIDGE)), merge["id"]


def _current_roots(conn: Connection, records: set[str]) -> dict[str, str]:
    c = t.customers
    out: dict[str, str] = {}
    for chunk in chunks(sorted(records)):
        for row in conn.execute(
            sa.select(c.c.id, c.c.status, c.c.merged_into).where(c.c.id.in_(chunk))
        ):
            out[row.id] = row.merged_into if row.status == "merged" else row.id
    return out


def _move_rows(conn: Connection, moved: dict[str, tuple[str, str]]) -> None:
    if not moved:
        return
    params = [{"b_origin": o, "b_old": old, "b_new": new} for o, (old, new) in moved.items()]
    i = t.interactions
    # Messages first: they follow their interaction, found while it is still on the old root.
    own_interactions = sa.select(i.c.id).where(
        i.c.customer_id == sa.bindparam("b_old"), i.c.origin_id == sa.bindparam("b_origin")
    )
    conn.execute(
        t.messages.update()
        .where(
            t.messages.c.customer_id == sa.bindparam("b_old"),
            t.messages.c.interaction_id.in_(own_interactions.scalar_subquery()),
        )
        .values(customer_id=sa.bindparam("b_new")),
        params,
    )
    for table in t.BY_ORIGIN:
        conn.execute(
            table.update()
            .where(
                table.c.customer_id == sa.bindparam("b_old"),
                table.c.origin_id == sa.bindparam("b_origin"),
            )
            .values(customer_id=sa.bindparam("b_new")),
            params,
        )


def _set_status(conn: Connection, roots: dict[str, str]) -> None:
    c = t.customers
    conn.execute(
        c.update()
        .where(c.c.id == sa.bindparam("b_id"), c.c.status != "erased")
        .values(status=sa.bindparam("b_status"), merged_into=sa.bindparam("b_into")),
        [
            {
                "b_id": o,
                "b_status": "active" if root == o else "merged",
                "b_into": None if root == o else root,
            }
            for o, root in roots.items()
        ],
    )


def _recompute_customers(conn: Connection, roots: dict[str, str]) -> None:
    """Traits, name columns, last update and search tokens of every record: a live
    customer aggregates its whole cluster, a merged record keeps its own."""
    f, c = t.facts, t.customers
    created: dict[str, dt.datetime] = {}
    for chunk in chunks(sorted(roots)):
        created.update(
            (r.id, r.created_at)
            for r in conn.execute(sa.select(c.c.id, c.c.created_at).where(c.c.id.in_(chunk)))
        )
    facts: dict[str, list[tuple[str, Fact]]] = {}  # live customer -> (origin, fact)
    for root in sorted(set(roots.values())):
        rows = conn.execute(
            sa.select(f.c.origin_id, *(f.c[name] for name in FACT_COLUMNS)).where(
                f.c.customer_id == root
            )
        )
        facts[root] = [(r.origin_id, fact_of(r)) for r in rows]
    updates: list[dict[str, Any]] = []
    views: dict[str, dict[str, Any]] = {}
    for origin, root in sorted(roots.items()):
        mine = [fact for o, fact in facts[root] if root == origin or o == origin]
        traits = fold_facts(mine)
        times = [created[origin], *(fact.at for fact in mine)]
        values = {"traits": traits, **trait_columns(traits), "updated_at": max(times)}
        updates.append({f"b_{k}": v for k, v in values.items()} | {"b_id": origin})
        views[origin] = {"status": "active" if root == origin else "merged", "name": values["name"]}
    conn.execute(
        c.update()
        .where(c.c.id == sa.bindparam("b_id"))
        .values(
            traits=sa.bindparam("b_traits"),
            name=sa.bindparam("b_name"),
            preferred_name=sa.bindparam("b_preferred_name"),
            customer_since=sa.bindparam("b_customer_since"),
            updated_at=sa.bindparam("b_updated_at"),
        ),
        updates,
    )
    write_name_tokens(conn, sorted(views), views)
