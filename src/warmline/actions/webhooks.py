"""Delivering the outbox as signed webhooks (the Standard Webhooks convention), to every
subscription an event matches.

Each outbox event is first fanned out, in one transaction, to every enabled subscription
whose event types name it (and to ``WARMLINE_WEBHOOK_URL``, the subscription
``configured``, when it is set): one delivery row per receiver, so each receiver's retries
and dead letters are its own. Each delivery is POSTed as JSON
``{"type", "timestamp", "data"}`` with the headers ``webhook-id`` (the outbox message id,
the same for every receiver and every retry: receivers drop repeats by it),
``webhook-timestamp`` (Unix seconds, when it is sent) and ``webhook-signature``
(``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body`` under the subscription's key).

Delivery is at least once. A delivery is claimed for a lease (so two workers do not send
it at once, and a worker that dies mid-send leaves it to the next), sent outside any
transaction, and then marked delivered, or retried with exponential backoff (30 s,
1 min, 2 min ... at most 6 h apart), and after :data:`MAX_ATTEMPTS` failures (an answer
other than 2xx, a redirect, a timeout, a refused connection, a refused address) marked
``dead`` with the last error; a dead letter is replayed through the admin API or
``warmline webhooks replay``.

Redirects are never followed (the receiver's final URL is what a subscription names), and
the address connected to is the one checked: the host is resolved, every address it has
must be public or in ``WARMLINE_WEBHOOK_ALLOWED_NETWORKS``, and the connection goes to
that address (a name re-pointed between the check and the call cannot move it).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import socket
import ssl
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from warmline.actions.audit import append_chained, audit_row
from warmline.actions.webhook_subscriptions import (
    CONFIGURED,
    Target,
    allowed_address,
    check_url,
    resolve,
    targets,
)
from warmline.config import Settings
from warmline.domain.access.roles import Actor
from warmline.domain.webhooks import IpNetwork, parse_networks, subscribes
from warmline.errors import InvalidRequest, NotFound
from warmline.storage import schema as t
from warmline.storage.engine import writing

MAX_ATTEMPTS = 8
FIRST_BACKOFF = dt.timedelta(seconds=30)
MAX_BACKOFF = dt.timedelta(hours=6)
LEASE = dt.timedelta(minutes=2)
BATCH = 50
#: Outbox events fanned out per transaction.
FAN_OUT_BATCH = 500
#: Receivers called at once: one slow receiver does not hold up the others' deliveries.
SENDERS = 4
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


@dataclass(frozen=True)
class WebhookConfig:
    """What delivery needs from the settings."""

    configured_url: str = ""
    configured_secret: str = ""
    timeout: float = 5.0
    allowed: tuple[IpNetwork, ...] = ()
    link_secret: SecretStr | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookConfig:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
        return cls(
            configured_url=settings.webhook_url if secret else "",
            configured_secret=secret,
            timeout=settings.webhook_timeout_seconds,
            allowed=allowed_networks(settings),
            link_secret=settings.link_secret,
        )


def allowed_networks(settings: Settings) -> tuple[IpNetwork, ...]:
    try:
        return parse_networks(settings.webhook_allowed_networks)
    except ValueError as exc:
        raise InvalidRequest(
            "invalid_allowed_networks",
            f"WARMLINE_WEBHOOK_ALLOWED_NETWORKS: '{str(exc)[:60]}' is not a network",
            hint="write CIDR networks separated by spaces, e.g. '10.20.0.0/16 127.0.0.0/8'",
        ) from None


# One delivery's outcome, by (subscription id, message id).
Sent = tuple[str, str]


@dataclass
class Delivered:
    routed: int = 0
    delivered: list[Sent] = field(default_factory=list)
    retrying: list[Sent] = field(default_factory=list)
    dead: list[Sent] = field(default_factory=list)


def deliver_due(
    engine: Engine, config: WebhookConfig, *, now: dt.datetime | None = None
) -> Delivered:
    """Fan out new outbox events, then send every delivery due now (up to :data:`BATCH`)
    and record what happened to each."""
    now = now or dt.datetime.now(dt.UTC)
    result = Delivered(routed=fan_out(engine, configured=bool(config.configured_url)))
    rows = _claim(engine, now)
    if not rows:
        return result
    where = targets(
        engine,
        {r["subscription_id"] for r in rows},
        link_secret=config.link_secret,
        configured_url=config.configured_url,
        configured_key=signing_key(config.configured_secret) if config.configured_url else None,
    )
    missing = Target("", "", None, "the subscription was deleted")

    def send(row: dict[str, Any]) -> str | None:
        return _post(where.get(row["subscription_id"], missing), row, config)

    with ThreadPoolExecutor(max_workers=min(SENDERS, len(rows))) as pool:
        errors = list(pool.map(send, rows))
    for row, error in zip(rows, errors, strict=True):
        _record(engine, row, error, now, result)
    return result


def fan_out(engine: Engine, *, configured: bool) -> int:
    """One delivery per matching subscription for each outbox event not yet routed; return
    how many events were routed (all of them: an event nobody subscribes to is routed to
    nobody)."""
    o, w, d = t.outbox, t.webhook_subscriptions, t.webhook_deliveries
    routed = 0
    while True:
        with writing(engine) as conn, conn.begin():
            query = (
                sa.select(o.c.id, o.c.event_type, o.c.customer_id, o.c.created_at)
                .where(o.c.status == "pending")
                .order_by(o.c.id)
                .limit(FAN_OUT_BATCH)
            )
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            events = conn.execute(query).all()
            if not events:
                return routed
            subscriptions = conn.execute(
                sa.select(w.c.id, w.c.event_types).where(w.c.enabled == sa.true())
            ).all()
            receivers = [(s.id, list(s.event_types)) for s in subscriptions]
            if configured:
                receivers.insert(0, (CONFIGURED, ["*"]))
            rows = [
                {
                    "outbox_id": e.id,
                    "subscription_id": sid,
                    "customer_id": e.customer_id,
                    "status": "pending",
                    "attempts": 0,
                    "created_at": e.created_at,
                    "next_attempt_at": e.created_at,
                }
                for e in events
                for sid, kinds in receivers
                if subscribes(kinds, e.event_type)
            ]
            if rows:
                conn.execute(d.insert(), rows)
            conn.execute(
                o.update().where(o.c.id.in_([e.id for e in events])).values(status="routed")
            )
            routed += len(events)


def _claim(engine: Engine, now: dt.datetime) -> list[dict[str, Any]]:
    d, o, w = t.webhook_deliveries, t.outbox, t.webhook_subscriptions
    with writing(engine) as conn, conn.begin():
        query = (
            sa.select(
                d.c.id,
                d.c.subscription_id,
                d.c.attempts,
                o.c.message_id,
                o.c.event_type,
                o.c.payload,
                o.c.created_at,
            )
            .select_from(
                d.join(o, o.c.id == d.c.outbox_id).outerjoin(w, w.c.id == d.c.subscription_id)
            )
            .where(
                d.c.status == "pending",
                d.c.next_attempt_at <= now,
                # a disabled subscription's deliveries wait until it is enabled again
                sa.or_(d.c.subscription_id == CONFIGURED, sa.func.coalesce(w.c.enabled, True)),
            )
            .order_by(d.c.next_attempt_at, d.c.id)
            .limit(BATCH)
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=d)
        rows = [dict(r) for r in conn.execute(query).mappings()]
        if rows:
            conn.execute(
                d.update()
                .where(d.c.id.in_([r["id"] for r in rows]))
                .values(next_attempt_at=now + LEASE)
            )
    return rows


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the host name says now."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        # the certificate is checked against the host name, not the address
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


def _post(target: Target, row: dict[str, Any], config: WebhookConfig) -> str | None:
    """Send one delivery; None when the receiver took it (2xx), else why not."""
    if target.problem or target.key is None:
        return f"not sent: {target.problem}"[:500]
    try:
        parts = check_url(target.url)
        if target.checked:
            address, port = allowed_address(target.url, config.allowed)
        else:  # WARMLINE_WEBHOOK_URL: the operator's own choice of address
            port = parts.port or (443 if parts.scheme == "https" else 80)
            address = resolve(str(parts.hostname), port)[0]
    except InvalidRequest as exc:
        return f"not sent: {exc.message}"[:500]
    except OSError as exc:
        return f"no answer: {exc}"[:500]
    stamp = int(time.time())  # when it is sent: receivers refuse stale timestamps
    body = orjson.dumps(
        {
            "type": row["event_type"],
            "timestamp": row["created_at"].isoformat(),
            "data": row["payload"],
        }
    )
    kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    connection = kind(str(parts.hostname), port, address, config.timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                "content-type": "application/json",
                "user-agent": "warmline-webhooks",
                "webhook-id": row["message_id"],
                "webhook-timestamp": str(stamp),
                "webhook-signature": sign(target.key, row["message_id"], stamp, body),
            },
        )
        response = connection.getresponse()
        response.read(64 * 1024)
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        return f"no answer: {exc or type(exc).__name__}"[:500]
    finally:
        connection.close()
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return f"HTTP {status}: redirects are not followed (subscribe the final URL)"
    return f"HTTP {status}"


def _record(
    engine: Engine, row: dict[str, Any], error: str | None, now: dt.datetime, result: Delivered
) -> None:
    d = t.webhook_deliveries
    attempts = row["attempts"] + 1
    sent = (row["subscription_id"], row["message_id"])
    if error is None:
        values: dict[str, Any] = {
            "status": "delivered",
            "delivered_at": now,
            "attempts": attempts,
            "last_error": None,
        }
        result.delivered.append(sent)
    elif attempts >= MAX_ATTEMPTS:
        values = {"status": "dead", "attempts": attempts, "last_error": error}
        result.dead.append(sent)
    else:
        values = {
            "attempts": attempts,
            "last_error": error,
            "next_attempt_at": now + backoff(attempts),
        }
        result.retrying.append(sent)
    with writing(engine) as conn, conn.begin():
        conn.execute(d.update().where(d.c.id == row["id"]).values(**values))


# -- dead letters ----------------------------------------------------------------------


def _dead_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "subscription_id": row.subscription_id,
        "message_id": row.message_id,
        "event_type": row.event_type,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "created_at": row.created_at.isoformat(),
    }


def dead_letters(
    engine: Engine, *, subscription_id: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Deliveries given up on, newest first, with their last error."""
    d, o = t.webhook_deliveries, t.outbox
    query = (
        sa.select(
            d.c.id,
            d.c.subscription_id,
            o.c.message_id,
            o.c.event_type,
            d.c.attempts,
            d.c.last_error,
            d.c.created_at,
        )
        .select_from(d.join(o, o.c.id == d.c.outbox_id))
        .where(d.c.status == "dead")
        .order_by(d.c.id.desc())
        .limit(limit)
    )
    if subscription_id:
        query = query.where(d.c.subscription_id == subscription_id)
    with engine.connect() as conn:
        return [_dead_view(r) for r in conn.execute(query)]


def replay_dead(
    engine: Engine,
    actor: Actor,
    *,
    ids: Sequence[int] | None = None,
    subscription_id: str | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Put dead letters back in line, their attempts counted from zero: the ones named by
    ``ids``, or every one of ``subscription_id``; return how many."""
    if not ids and not subscription_id:
        raise InvalidRequest(
            "nothing_to_replay",
            "name the dead letters to replay (ids) or a subscription (all of its dead letters)",
            hint="GET /v1/webhooks/dead-letters lists them",
        )
    d = t.webhook_deliveries
    query = d.update().where(d.c.status == "dead")
    if ids:
        query = query.where(d.c.id.in_(list(ids)))
    if subscription_id:
        query = query.where(d.c.subscription_id == subscription_id)
    with writing(engine) as conn, conn.begin():
        replayed = conn.execute(
            query.values(
                status="pending", attempts=0, next_attempt_at=now or dt.datetime.now(dt.UTC)
            )
        ).rowcount
        if replayed == 0:
            raise NotFound(
                "dead_letter_not_found",
                "no dead letter matches",
                hint="GET /v1/webhooks/dead-letters (or `warmline webhooks list`) lists them",
            )
        detail = {"ids": list(ids or []), "subscription_id": subscription_id, "count": replayed}
        append_chained(conn, [audit_row(actor, "webhook.replayed", None, detail)])
    return int(replayed)


def outbox_summary(engine: Engine, limit: int = 20) -> dict[str, Any]:
    """Deliveries by status (and events not yet routed), and the latest dead letters."""
    d, o = t.webhook_deliveries, t.outbox
    with engine.connect() as conn:
        rows = conn.execute(sa.select(d.c.status, sa.func.count()).group_by(d.c.status))
        counts: Counter[str] = Counter({str(status): int(n) for status, n in rows})
        unrouted = conn.execute(sa.select(sa.func.count()).where(o.c.status == "pending"))
        counts["unrouted"] = int(unrouted.scalar() or 0)
    return {"counts": dict(counts), "dead": dead_letters(engine, limit=limit)}
