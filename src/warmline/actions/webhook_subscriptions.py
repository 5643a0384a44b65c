"""Webhook subscriptions: a receiver's URL and the event types it wants, managed by admins
(every change audited), each with its own signing secret shown once.

The secret is never stored, not even encrypted: it is derived when needed, as
``whsec_`` + base64 HMAC-SHA256(signing key, ``warmline.webhook.v1`` | id | salt), from the
key that signs everything Warmline gives out (``WARMLINE_LINK_SECRET``, or without it a
random key kept in the database, as for check-in codes: :mod:`warmline.actions.signing`)
and a random salt per subscription. Rotating draws a new salt. The key's fingerprint is
kept with the subscription: if the key changes, deliveries stop with an error that says
to rotate, rather than go out signed with a secret the receiver does not know.

A receiver's address is checked when the subscription is made and again at every
delivery: loopback, private, link-local and other non-public addresses are refused unless
``WARMLINE_WEBHOOK_ALLOWED_NETWORKS`` holds them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import socket
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from warmline.actions.audit import append_chained, audit_row
from warmline.actions.signing import WEBHOOKS, signing_key
from warmline.domain.access.roles import Actor
from warmline.domain.webhooks import (
    EVENT_TYPES,
    IpNetwork,
    UnknownEventTypes,
    address_refusal,
    check_event_types,
)
from warmline.errors import Conflict, InvalidRequest, NotFound
from warmline.storage import schema as t
from warmline.storage.engine import writing

#: The subscription WARMLINE_WEBHOOK_URL stands for (no row: the settings are its record).
CONFIGURED = "configured"
MAX_URL = 2000
PURPOSE = b"warmline.webhook.v1"


@dataclass(frozen=True, slots=True)
class Target:
    """Where one subscription's deliveries go, and the key that signs them."""

    subscription_id: str
    url: str
    key: bytes | None
    #: Refused before sending (the signing key changed): the delivery fails with this.
    problem: str | None = None
    #: Whether the address must be public (or allowed): not for the operator's own URL.
    checked: bool = True


# -- secrets ---------------------------------------------------------------------------


def _master(engine: Engine, link_secret: SecretStr | None) -> bytes:
    return signing_key(engine, link_secret, WEBHOOKS)


def fingerprint(master: bytes) -> str:
    return hashlib.sha256(b"warmline.webhook.key\x1f" + master).hexdigest()[:16]


def derive_key(master: bytes, subscription_id: str, salt: str) -> bytes:
    """The HMAC key a subscription's deliveries are signed with."""
    message = PURPOSE + b"\x1f" + subscription_id.encode() + b"\x1f" + salt.encode()
    return hmac.new(master, message, hashlib.sha256).digest()


def secret_of(key: bytes) -> str:
    """The key as the receiver writes it (Standard Webhooks: ``whsec_`` + base64)."""
    return "whsec_" + base64.b64encode(key).decode()


# -- addresses -------------------------------------------------------------------------


def check_url(url: str) -> urllib.parse.SplitResult:
    """``url`` parsed, or :class:`InvalidRequest` saying what is wrong with it."""
    url = url.strip()
    parts = urllib.parse.urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidRequest(
            "invalid_webhook_url",
            "a webhook URL is an absolute http(s) URL of at most 2000 characters",
            hint="e.g. https://hooks.example.com/warmline",
        )
    try:
        parts.port  # noqa: B018  # raises on a port that is not a number
    except ValueError:
        raise InvalidRequest("invalid_webhook_url", "the URL's port is not a number") from None
    return parts


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` has (one, if it is an IP literal)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in found})


def shown_in_audit(url: str) -> str:
    """A URL as the audit log keeps it: scheme, host and port, never the path or query,
    which some receivers use as their own secret (``/services/T0/B0/XXXX``)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "") + "/…"


def allowed_address(url: str, allowed: Sequence[IpNetwork]) -> tuple[str, int]:
    """The address and port to connect to for ``url``: every address its host has must be
    allowed (a name that resolves to a public and a private address is refused), or
    :class:`InvalidRequest` says why not."""
    parts = check_url(url)
    host = str(parts.hostname)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except OSError as exc:
        raise InvalidRequest(
            "webhook_url_unresolvable",
            f"the webhook URL's host '{host[:100]}' has no address: {exc}",
            hint="check the host name",
        ) from None
    for address in addresses:
        if why := address_refusal(address, allowed):
            raise InvalidRequest(
                "webhook_address_not_allowed",
                f"the webhook URL's host '{host[:100]}' is at {why}: Warmline does not call "
                "non-public addresses",
                hint="use the receiver's public address, or allow its network with "
                "WARMLINE_WEBHOOK_ALLOWED_NETWORKS (e.g. 10.20.0.0/16)",
            )
    return addresses[0], port


# -- subscriptions ---------------------------------------------------------------------


def _event_types(names: Sequence[str]) -> list[str]:
    if not names:
        raise InvalidRequest(
            "no_event_types",
            "a subscription names at least one event type",
            hint=f"one or more of {', '.join(EVENT_TYPES)}, or '*' for all",
        )
    try:
        return check_event_types(names)
    except UnknownEventTypes as exc:
        raise InvalidRequest(
            "unknown_event_type",
            f"no such event type: {', '.join(u[:60] for u in exc.unknown[:5])}",
            hint=f"event types are {', '.join(EVENT_TYPES)}, or '*' for all",
        ) from None


def _view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "url": row.url,
        "event_types": list(row.event_types),
        "description": row.description,
        "enabled": bool(row.enabled),
        "configured": False,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def configured_view(url: str) -> dict[str, Any]:
    """WARMLINE_WEBHOOK_URL as the subscription it stands for (read-only here)."""
    return {
        "id": CONFIGURED,
        "url": url,
        "event_types": ["*"],
        "description": "WARMLINE_WEBHOOK_URL",
        "enabled": True,
        "configured": True,
        "created_by": None,
        "created_at": None,
        "updated_at": None,
    }


def create_subscription(
    engine: Engine,
    actor: Actor,
    *,
    url: str,
    event_types: Sequence[str],
    description: str | None = None,
    link_secret: SecretStr | None = None,
    allowed: Sequence[IpNetwork] = (),
    now: dt.datetime | None = None,
) -> tuple[dict[str, Any], str]:
    """A subscription and its secret, which is shown only now."""
    now = now or dt.datetime.now(dt.UTC)
    kinds = _event_types(event_types)
    url = url.strip()
    allowed_address(url, allowed)
    master = _master(engine, link_secret)
    subscription_id = "whs_" + secrets.token_hex(10)
    salt = secrets.token_hex(16)
    w = t.webhook_subscriptions
    with writing(engine) as conn, conn.begin():
        conn.execute(
            w.insert().values(
                id=subscription_id,
                url=url,
                event_types=kinds,
                description=(description or "").strip()[:200] or None,
                enabled=True,
                salt=salt,
                key_fingerprint=fingerprint(master),
                created_by=actor.name,
                created_at=now,
                updated_at=now,
            )
        )
        detail = {
            "subscription_id": subscription_id,
            "url": shown_in_audit(url),
            "event_types": kinds,
        }
        append_chained(conn, [audit_row(actor, "webhook_subscription.created", None, detail)])
        row = conn.execute(sa.select(w).where(w.c.id == subscription_id)).one()
    return _view(row), secret_of(derive_key(master, subscription_id, salt))


def list_subscriptions(engine: Engine, configured_url: str = "") -> list[dict[str, Any]]:
    w = t.webhook_subscriptions
    with engine.connect() as conn:
        rows = conn.execute(sa.select(w).order_by(w.c.created_at, w.c.id)).all()
    found = [_view(r) for r in rows]
    return ([configured_view(configured_url)] if configured_url else []) + found


def get_subscription(engine: Engine, subscription_id: str) -> dict[str, Any]:
    w = t.webhook_subscriptions
    with engine.connect() as conn:
        row = conn.execute(sa.select(w).where(w.c.id == subscription_id)).first()
    if row is None:
        _not_found(subscription_id)
    return _view(row)


def _not_found(subscription_id: str) -> None:
    if subscription_id == CONFIGURED:
        raise Conflict(
            "subscription_configured",
            "the 'configured' subscription is WARMLINE_WEBHOOK_URL: it is changed in the "
            "server's settings, not through the API",
            hint="change WARMLINE_WEBHOOK_URL (or unset it) and restart",
        )
    raise NotFound(
        "subscription_not_found",
        f"no webhook subscription '{subscription_id[:60]}'",
        hint="GET /v1/webhooks/subscriptions lists them",
    )


def update_subscription(
    engine: Engine,
    actor: Actor,
    subscription_id: str,
    *,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
    allowed: Sequence[IpNetwork] = (),
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Change what is given; a disabled subscription gets no new events and its pending
    deliveries wait until it is enabled again."""
    now = now or dt.datetime.now(dt.UTC)
    values: dict[str, Any] = {}
    if url is not None:
        url = url.strip()
        allowed_address(url, allowed)
        values["url"] = url
    if event_types is not None:
        values["event_types"] = _event_types(event_types)
    if description is not None:
        values["description"] = description.strip()[:200] or None
    if enabled is not None:
        values["enabled"] = enabled
    w = t.webhook_subscriptions
    with writing(engine) as conn, conn.begin():
        changed = conn.execute(
            w.update().where(w.c.id == subscription_id).values(**values, updated_at=now)
        ).rowcount
        if not changed:
            _not_found(subscription_id)
        detail = {"subscription_id": subscription_id, **values}
        if url is not None:
            detail["url"] = shown_in_audit(url)
        append_chained(conn, [audit_row(actor, "webhook_subscription.updated", None, detail)])
        row = conn.execute(sa.select(w).where(w.c.id == subscription_id)).one()
    return _view(row)


def rotate_subscription_secret(
    engine: Engine,
    actor: Actor,
    subscription_id: str,
    *,
    link_secret: SecretStr | None = None,
    now: dt.datetime | None = None,
) -> tuple[dict[str, Any], str]:
    """A new secret (shown only now); the old one signs nothing from now on. Also how a
    subscription is brought back after the signing key changed."""
    now = now or dt.datetime.now(dt.UTC)
    master = _master(engine, link_secret)
    salt = secrets.token_hex(16)
    w = t.webhook_subscriptions
    with writing(engine) as conn, conn.begin():
        changed = conn.execute(
            w.update()
            .where(w.c.id == subscription_id)
            .values(salt=salt, key_fingerprint=fingerprint(master), updated_at=now)
        ).rowcount
        if not changed:
            _not_found(subscription_id)
        detail = {"subscription_id": subscription_id}
        append_chained(conn, [audit_row(actor, "webhook_subscription.rotated", None, detail)])
        row = conn.execute(sa.select(w).where(w.c.id == subscription_id)).one()
    return _view(row), secret_of(derive_key(master, subscription_id, salt))


def delete_subscription(engine: Engine, actor: Actor, subscription_id: str) -> dict[str, int]:
    """Remove a subscription and every delivery it has not had (and its dead letters)."""
    w, d = t.webhook_subscriptions, t.webhook_deliveries
    with writing(engine) as conn, conn.begin():
        if not conn.execute(w.delete().where(w.c.id == subscription_id)).rowcount:
            _not_found(subscription_id)
        dropped = conn.execute(
            d.delete().where(d.c.subscription_id == subscription_id, d.c.status != "delivered")
        ).rowcount
        detail = {"subscription_id": subscription_id, "deliveries_dropped": dropped}
        append_chained(conn, [audit_row(actor, "webhook_subscription.deleted", None, detail)])
    return {"deliveries_dropped": dropped}


def targets(
    engine: Engine,
    subscription_ids: set[str],
    *,
    link_secret: SecretStr | None,
    configured_url: str = "",
    configured_key: bytes | None = None,
) -> dict[str, Target]:
    """Where each subscription's deliveries go, with its signing key."""
    found: dict[str, Target] = {}
    if CONFIGURED in subscription_ids:
        found[CONFIGURED] = Target(
            CONFIGURED,
            configured_url,
            configured_key,
            None if configured_url and configured_key else "WARMLINE_WEBHOOK_URL is not set",
            checked=False,
        )
    wanted = sorted(subscription_ids - {CONFIGURED})
    if not wanted:
        return found
    master = _master(engine, link_secret)
    w = t.webhook_subscriptions
    with engine.connect() as conn:
        rows = conn.execute(sa.select(w).where(w.c.id.in_(wanted))).all()
    for row in rows:
        problem = None
        if not hmac.compare_digest(row.key_fingerprint, fingerprint(master)):
            problem = (
                "the signing key changed since this subscription's secret was made "
                "(WARMLINE_LINK_SECRET set or changed): rotate its secret and give the "
                "receiver the new one"
            )
        found[row.id] = Target(row.id, row.url, derive_key(master, row.id, row.salt), problem)
    return found
