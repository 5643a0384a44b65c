"""Reads for pre-filled forms and their links."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.storage import schema as t
from warmline.storage.compiled_select import FastSelect

_i = t.identifiers
_TRAITS = FastSelect(sa.select(t.customers.c.traits).where(t.customers.c.id == sa.bindparam("cid")))
_IDENTIFIERS = FastSelect(
    sa.select(
        _i.c.kind, _i.c.value, _i.c.verified, _i.c.source, _i.c.first_seen_at, _i.c.confirmed_at
    ).where(_i.c.customer_id == sa.bindparam("cid"))
)


def prefill_rows(conn: Connection, customer_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What a pre-fill reads of live customer ``customer_id``: their traits and identifiers
    (two statements compiled once: a form is pre-filled on a page load)."""
    found = _TRAITS.all(conn, cid=customer_id)
    traits = (found[0]["traits"] if found else None) or {}
    return traits, _IDENTIFIERS.all(conn, cid=customer_id)


def naming_identifier(conn: Connection, customer_id: str) -> dict[str, Any] | None:
    """An identifier of the customer that no other customer holds (verified ones first):
    what an event Warmline records about them names them by."""
    i = t.identifiers
    other = i.alias()
    holders = (
        sa.select(sa.func.count())
        .select_from(other)
        .where(other.c.kind == i.c.kind, other.c.value == i.c.value)
        .where(other.c.customer_id != customer_id)
        .scalar_subquery()
    )
    row = (
        conn.execute(
            sa.select(i.c.kind, i.c.value)
            .where(i.c.customer_id == customer_id, holders == 0)
            .order_by(i.c.verified.desc(), i.c.first_seen_at, i.c.kind, i.c.value)
            .limit(1)
        )
        .mappings()
        .first()
    )
    return {"kind": str(row["kind"]), "value": str(row["value"])} if row else None


def form_link(conn: Connection, link_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(t.form_links).where(t.form_links.c.id == link_id)).mappings()
    found = row.first()
    return dict(found) if found else None


def interaction_verification(conn: Connection, interaction_id: str, now: Any) -> str:
    """How verified the customer is in interaction ``interaction_id`` (Warmline's id) now:
    the level of its latest unexpired verification, else ``none``."""
    v = t.assurances
    level = conn.execute(
        sa.select(v.c.level)
        .where(v.c.interaction_id == interaction_id, v.c.expires_at > now)
        .order_by(v.c.verified_at.desc())
        .limit(1)
    ).scalar()
    return str(level) if level else "none"
