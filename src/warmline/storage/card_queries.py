"""Read models composed from queries and pure domain assembly: the context card."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from warmline.domain.card.assembly import CardContext, build_card, continuity_ids
from warmline.domain.card.insight import Learned
from warmline.storage import queries
from warmline.storage.insight_config import current_insight


def load_card(conn: Connection, customer_id: str, ctx: CardContext) -> dict[str, Any] | None:
    """The card for ``customer_id`` at ``ctx``: eight queries, plus one per continuity item."""
    rows = queries.card_rows(conn, customer_id)
    if rows is None:
        return None
    recent = continuity_ids(rows["interactions"], ctx)
    messages = queries.last_messages(conn, recent)
    config = current_insight(conn)
    return build_card(rows, messages, ctx, Learned(config.associations, config.population))
