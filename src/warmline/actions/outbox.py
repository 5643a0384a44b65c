"""The outbox: events for other systems, written in the same transaction as the change that
caused them, so none is lost and none is sent for a change that rolled back.

Generic: an event type and a JSON payload. :mod:`warmline.actions.webhooks` delivers them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy.engine import Connection

from warmline.storage import schema as t


def enqueue(
    conn: Connection,
    event_type: str,
    payload: dict[str, Any],
    *,
    now: dt.datetime,
    customer_id: str | None = None,
) -> str:
    """Add an event inside the caller's transaction; return its message id."""
    message_id = "msg_" + secrets.token_hex(12)
    conn.execute(
        t.outbox.insert().values(
            event_type=event_type,
            message_id=message_id,
            payload=payload,
            customer_id=customer_id,
            status="pending",
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
    )
    return message_id
