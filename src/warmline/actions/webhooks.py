"""Delivering the outbox as signed webhooks (the Standard Webhooks convention).

Each event is POSTed as JSON ``{"type", "timestamp", "data"}`` with the headers
``webhook-id`` (the outbox message id: receivers drop repeats by it),
``webhook-timestamp`` (Unix seconds) and ``webhook-signature``
(``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body`` under the secret's key).

Delivery is at least once. An event is claimed for a lease (so two workers do not send
it at once, and a worker that dies mid-send leaves it to the next), sent outside any
transaction, and then marked delivered, or retried with exponential backoff (30 s,
1 min, 2 min ... at most 6 h apart), and after :data:`MAX_ATTEMPTS` failures (an answer
other than 2xx, a timeout, a refused connection) marked ``dead`` with the last error;
``warmline webhooks retry`` puts a dead one back.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.errors import InvalidRequest, NotFound
from warmline.storage import schema as t
from warmline.storage.engine import writing

MAX_ATTEMPTS = 8
FIRST_BACKOFF = dt.timedelta(seconds=30)
MAX_BACKOFF = dt.timedelta(hours=6)
LEASE = dt.timedelta(minutes=2)
BATCH = 50
SECRET_PREFIX = "whsec_"  # noqa: S105  (the format's prefix, not a secret)


def signing_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_``-prefixed base64 secret."""
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise InvalidRequest(
            "invalid_webhook_secret",
            "WARMLINE_WEBHOOK_SECRET is not a whsec_ secret of at least 16 bytes",
            hint="make one: python -c \"import base64,os; print('whsec_' + "
            'base64.b64encode(os.urandom(32)).decode())"',
        )
    return key


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    content = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failure."""
    wait: dt.timedelta = FIRST_BACKOFF * 2 ** max(attempts - 1, 0)
    return min(wait, MAX_BACKOFF)


@dataclass
class Delivered:
    delivered: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)


def deliver_due(
    engine: Engine,
    *,
    url: str,
    secret: str,
    timeout: float = 5.0,
    now: dt.datetime | None = None,
) -> Delivered:
    """Send every event due now (up to :data:`BATCH`); record what happened to each."""
    key = signing_key(secret)
    now = now or dt.datetime.now(dt.UTC)
    result = Delivered()
    for row in _claim(engine, now):
        error = _post(url, key, row, timeout)
        _record(engine, row, error, now, result)
    return result


def _claim(engine: Engine, now: dt.datetime) -> list[dict[str, Any]]:
    o = t.outbox
    with writing(engine) as conn, conn.begin():
        query = (
            sa.select(
                o.c.id, o.c.message_id, o.c.event_type, o.c.payload, o.c.attempts, o.c.created_at
            )
            .where(o.c.status == "pending", o.c.next_attempt_at <= now)
            .order_by(o.c.next_attempt_at, o.c.id)
            .limit(BATCH)
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = [dict(r) for r in conn.execute(query).mappings()]
        if rows:
            conn.execute(
                o.update()
                .where(o.c.id.in_([r["id"] for r in rows]))
                .values(next_attempt_at=now + LEASE)
            )
    return rows


def _post(url: str, key: bytes, row: dict[str, Any], timeout: float) -> str | None:
    """Send one event; None when the endpoint took it (2xx), else why not."""
    stamp = int(time.time())  # when it is sent: receivers refuse stale timestamps
    body = orjson.dumps(
        {
            "type": row["event_type"],
            "timestamp": row["created_at"].isoformat(),
            "data": row["payload"],
        }
    )
    request = urllib.request.Request(  # noqa: S310  (the operator's own https or http endpoint)
        url,
        data=body,
        method="POST",
        headers={
            "content-type": "application/json",
            "user-agent": "warmline-webhooks",
            "webhook-id": row["message_id"],
            "webhook-timestamp": str(stamp),
            "webhook-signature": sign(key, row["message_id"], stamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"no answer: {reason}"[:500]
    return None if 200 <= status < 300 else f"HTTP {status}"


def _record(
    engine: Engine, row: dict[str, Any], error: str | None, now: dt.datetime, result: Delivered
) -> None:
    o = t.outbox
    attempts = row["attempts"] + 1
    if error is None:
        values: dict[str, Any] = {
            "status": "delivered",
            "delivered_at": now,
            "attempts": attempts,
            "last_error": None,
        }
        result.delivered.append(row["message_id"])
    elif attempts >= MAX_ATTEMPTS:
        values = {"status": "dead", "attempts": attempts, "last_error": error}
        result.dead.append(row["message_id"])
    else:
        values = {
            "attempts": attempts,
            "last_error": error,
            "next_attempt_at": now + backoff(attempts),
        }
        result.retrying.append(row["message_id"])
    with writing(engine) as conn, conn.begin():
        conn.execute(o.update().where(o.c.id == row["id"]).values(**values))


def retry_dead(engine: Engine, message_id: str, *, now: dt.datetime | None = None) -> None:
    """Put a dead event back in line, its attempts counted from zero."""
    o = t.outbox
    with writing(engine) as conn, conn.begin():
        done = conn.execute(
            o.update()
            .where(o.c.message_id == message_id, o.c.status == "dead")
            .values(status="pending", attempts=0, next_attempt_at=now or dt.datetime.now(dt.UTC))
        )
    if done.rowcount == 0:
        raise NotFound(
            "dead_event_not_found",
            f"no dead event '{message_id[:60]}'",
            hint="warmline webhooks list",
        )


def outbox_summary(engine: Engine, limit: int = 20) -> dict[str, Any]:
    """Counts by status, and the latest dead events with their last error."""
    o = t.outbox
    with engine.connect() as conn:
        rows = conn.execute(sa.select(o.c.status, sa.func.count()).group_by(o.c.status))
        counts = {str(status): int(n) for status, n in rows}
        dead = [
            dict(r)
            for r in conn.execute(
                sa.select(
                    o.c.message_id, o.c.event_type, o.c.attempts, o.c.last_error, o.c.created_at
                )
                .where(o.c.status == "dead")
                .order_by(o.c.id.desc())
                .limit(limit)
            ).mappings()
        ]
    return {"counts": counts, "dead": dead}
