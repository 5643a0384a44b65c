"""The at-risk queue as both surfaces show it, read through the audit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from warmline.actions.audit import record_read
from warmline.actions.derived import bring_up_to_date
from warmline.domain.access.roles import Actor
from warmline.storage import risk_queries as rq

QUEUE_LIMIT = 50


def at_risk_queue(
    engine: Engine, actor: Actor, *, threshold: int, limit: int = QUEUE_LIMIT
) -> list[dict[str, Any]]:
    """Customers at risk nobody has reached out to since, the highest score first, with the
    signals behind it, their last words and who should reach out. Audited as one read
    listing every customer shown (as a search is)."""
    bring_up_to_date(engine)  # the contacts started just before count
    with engine.connect() as conn:
        rows = rq.at_risk_queue(conn, threshold, limit)
    record_read(
        engine, actor, "at_risk.viewed", None, {"customers": [r["customer_id"] for r in rows]}
    )
    return [
        {
            "customer_id": r["customer_id"],
            "name": r["name"],
            "preferred_name": r["preferred_name"],
            "score": r["score"],
            "at_risk_since": r["above_since"],
            "last_signal_at": r["last_signal_at"],
            "signals": [{k: v for k, v in s.items() if k != "source_id"} for s in r["signals"]],
            "last_words": r["last_words"],
            "last_words_at": r["last_words_at"],
            "suggested_owner": r["owner"],
            "outreach_at": r["outreach_at"],
        }
        for r in rows
    ]
