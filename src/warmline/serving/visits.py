"""A branch visit's card, as the API answers a call and the desk opens it.

The visit began when the customer arrived, so the card looks for continuity from then: a
chat twenty minutes before check-in is still what they came about after a quarter of an
hour in the queue, and the card leads with it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Connection, Engine

from warmline.actions.calls import Called
from warmline.config import Settings
from warmline.domain.access.roles import Actor
from warmline.domain.card.assembly import unrecognised_card
from warmline.domain.card.context import CardContext
from warmline.serving.cards import card_context, read_card
from warmline.storage import branch_queries as bq
from warmline.storage import queries


def visit_context(
    settings: Settings, visit: dict[str, Any] | None, interaction_id: str | None
) -> CardContext:
    """The card's moment for a visit: continuity counted from the customer's arrival; the
    rest (the profile's moments and forms, the currency) as on any card."""
    now = dt.datetime.now(dt.UTC)
    window = dt.timedelta(minutes=settings.continuity_minutes)
    if visit is not None:
        window += max(now - visit["checked_in_at"], dt.timedelta())
    return card_context(
        settings, now=now, channel="branch", interaction_id=interaction_id, continuity_window=window
    )


def visit_card(
    conn: Connection,
    engine: Engine,
    settings: Settings,
    actor: Actor,
    visit: dict[str, Any],
    *,
    recognised: bool,
    candidates: list[str],
) -> dict[str, Any] | None:
    """The card for a visit: the customer's (read audited), or the honest card of a guest."""
    if not recognised or visit["customer_id"] is None:
        found = queries.customer_summaries(conn, candidates)
        return unrecognised_card("branch", [], found)
    ctx = visit_context(settings, visit, visit.get("interaction_id"))
    return read_card(conn, engine, actor, visit["customer_id"], ctx, visit_id=visit["id"])


def called_card(
    engine: Engine, settings: Settings, actor: Actor, called: Called
) -> dict[str, Any] | None:
    """The card of the customer just called."""
    with engine.connect() as conn:
        visit = bq.visit(conn, called.visit["id"]) or called.visit
        return visit_card(
            conn,
            engine,
            settings,
            actor,
            {**visit, "customer_id": called.contact.customer_id},
            recognised=called.contact.recognised,
            candidates=list(called.contact.candidates),
        )
