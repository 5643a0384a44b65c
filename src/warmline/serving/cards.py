"""The context card as both surfaces serve it: at this moment, the read audited, and masked
for the reader's role."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Connection, Engine

from warmline.actions.audit import Receipt
from warmline.config import Settings
from warmline.domain.access.roles import Actor
from warmline.domain.card.context import CardContext
from warmline.serving.access import as_seen_by, open_customer_row
from warmline.serving.knowledge import card_suggestions
from warmline.serving.profile_config import profile_config
from warmline.storage.branch_queries import attach_visits
from warmline.storage.card_queries import customer_row, load_card


def card_context(settings: Settings, **kw: Any) -> CardContext:
    """The card's view of now: the time, the continuity window, and the contact (``kw``,
    which may also give the time or the window)."""
    config = profile_config(settings)
    fields: dict[str, Any] = {
        "now": dt.datetime.now(dt.UTC),
        "continuity_window": dt.timedelta(minutes=settings.continuity_minutes),
        "currency": settings.default_currency,
        "moments": config.moments,
        "forms": tuple(config.forms.values()),
    }
    return CardContext(**{**fields, **kw})


def read_card(
    conn: Connection,
    engine: Engine,
    actor: Actor,
    customer_id: str,
    ctx: CardContext,
    **detail: Any,
) -> dict[str, Any] | None:
    """The card of ``customer_id`` for ``actor``: the read audited (with ``detail``),
    sensitive values masked unless the role sees them. The card is read while its audit
    row commits, and returned only once that row is durable."""
    card, audited = card_being_audited(conn, engine, actor, customer_id, ctx, **detail)
    audited.wait()
    return card


def card_being_audited(
    conn: Connection,
    engine: Engine,
    actor: Actor,
    customer_id: str,
    ctx: CardContext,
    **detail: Any,
) -> tuple[dict[str, Any] | None, Receipt]:
    """:func:`read_card` without the wait: the card, and the receipt of its audit row,
    which the caller must see committed (``wait`` or :func:`warmline.serving.access.committed`)
    before it shows the card to anyone."""
    live, audited, row = open_customer_row(
        conn, engine, actor, customer_id, "card.viewed", customer_row, **detail
    )
    card = as_seen_by(actor, load_card(conn, live, ctx, row))
    if card is not None:
        card["articles"] = card_suggestions(conn, card)
        attach_visits(conn, card, ctx.now)
    return card, audited
