"""Reaching out to an at-risk customer, recorded as a contact like any other.

The outreach is an interaction (started, what was said or done, ended) sent through
ingest from ``warmline.outreach``, so it is on the customer's timeline, in the raw log
(``warmline rebuild`` keeps it) and in the metrics; the risk score then counts signs
only from after it for the queue.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy.engine import Engine

from warmline.actions.audit import record_read
from warmline.actions.ingest import ingest_events
from warmline.actions.risk import risk_policy
from warmline.config import Settings
from warmline.domain.access.roles import Actor
from warmline.domain.risk.score import OUTREACH_SOURCE
from warmline.errors import Conflict, InvalidRequest
from warmline.events import CHANNELS, MAX_TEXT_CHARS
from warmline.storage import risk_queries as rq

OUTREACH_REASON = "outreach"


def record_outreach(
    engine: Engine,
    actor: Actor,
    customer_id: str,
    *,
    channel: str,
    note: str | None,
    settings: Settings,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Record that ``actor`` reached out to the (live) customer ``customer_id``."""
    if channel not in CHANNELS:
        raise InvalidRequest(
            "invalid_channel",
            f"no channel '{channel[:20]}'",
            hint=f"use one of {', '.join(CHANNELS)}",
        )
    now = now or dt.datetime.now(dt.UTC)
    with engine.connect() as conn:
        named = rq.sole_identifier(conn, customer_id)
    if named is None:
        raise Conflict(
            "customer_not_nameable",
            "no identifier names this customer alone, so an event cannot say who it is about",
            hint="record the outreach in the channel's own system; it arrives as a contact",
        )
    ref = {"identifiers": [{"kind": named[0], "value": named[1]}]}
    iid = "outreach-" + secrets.token_hex(8)
    when = now.isoformat()

    def event(type_: str, n: int, **data: Any) -> dict[str, Any]:
        return {
            "specversion": "1.0",
            "id": f"{iid}-{n}",
            "source": OUTREACH_SOURCE,
            "type": type_,
            "time": when,
            "data": {"interaction_id": iid, **data},
        }

    events = [
        event(
            "interaction.started",
            1,
            customer=ref,
            channel=channel,
            agent_id=actor.name,
            subject="Outreach",
        )
    ]
    text = (note or "").strip()[:MAX_TEXT_CHARS]
    if text:
        events.append(event("message.posted", 2, speaker="agent", text=text, agent_id=actor.name))
    events.append(event("interaction.ended", 3, outcome="resolved", reason=OUTREACH_REASON))
    result = ingest_events(
        engine, events, region=settings.default_region, now=now, risk=risk_policy(settings)
    )
    landed = result.items[0].customer_id
    record_read(
        engine, actor, "at_risk.outreach", landed, {"interaction_id": iid, "channel": channel}
    )
    return {"interaction_id": iid, "customer_id": landed, "at": when}
