"""An agent marks why the customer got in touch: an ``interaction.reason_recorded`` event
through ingest, so the reason is in the raw log (rebuilds keep it) and trains later models."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy.engine import Engine

from warmline.actions.ingest import ingest_events
from warmline.domain.access.roles import Actor
from warmline.errors import InvalidRequest, Unprocessable
from warmline.storage import handover_queries as hq

REASON_SOURCE = "warmline.desk"
MAX_REASON = 200


def record_reason(
    engine: Engine,
    actor: Actor,
    interaction_id: str,
    reason: str,
    *,
    region: str = "GB",
    now: dt.datetime | None = None,
) -> str:
    """Record ``reason`` for the interaction (Warmline's or the source's id); returns the
    reason kept."""
    now = now or dt.datetime.now(dt.UTC)
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidRequest(
            "invalid_reason", f"a reason is 1 to {MAX_REASON} characters", hint="e.g. card_declined"
        )
    with engine.connect() as conn:
        external = hq.interaction(conn, interaction_id)["external_id"]
    envelope = {
        "specversion": "1.0",
        "id": f"reason-{secrets.token_hex(8)}",
        "source": REASON_SOURCE,
        "type": "interaction.reason_recorded",
        "time": now.isoformat(),
        "data": {"interaction_id": external, "reason": reason, "agent_id": actor.name},
    }
    result = ingest_events(engine, [envelope], region=region, insight=False).items[0]
    if result.status != "accepted":
        said = "; ".join(e.reason for e in result.errors)
        raise Unprocessable("invalid_reason", f"the reason was not recorded: {said}")
    return reason
