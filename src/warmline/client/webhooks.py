"""Checking a webhook from Warmline, on the receiver's side (the Standard Webhooks
convention).

Warmline signs ``webhook-id.webhook-timestamp.body`` with HMAC-SHA256 under the
subscription's secret and sends ``webhook-signature: v1,<base64>``. A receiver must check
the signature over the body exactly as received (before parsing it), and that the
timestamp is recent: a signature captured on the way and sent again later is then refused
once it is older than the tolerance (5 minutes by default). Within the tolerance, drop a
``webhook-id`` seen before (the same event is sent again on a retry, with the same id).

::

    from warmline.client import WebhookVerificationError, verify_webhook

    try:
        event = verify_webhook(request_body, request_headers, secret="whsec_...")
    except WebhookVerificationError as exc:
        return 400, exc.code  # bad_signature, timestamp_too_old, ...
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

#: How far a delivery's timestamp may be from the receiver's clock, in seconds.
TOLERANCE_SECONDS = 300


class WebhookVerificationError(Exception):
    """A delivery that must not be trusted; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


def _key(secret: str) -> bytes:
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) < 16:
        raise ValueError("the secret is not a whsec_ secret (as Warmline showed it)")
    return key


def verify_webhook(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """The delivery's JSON (``type``, ``timestamp``, ``data``) when it is Warmline's and
    recent; else raise :class:`WebhookVerificationError` with a ``code``:
    ``missing_headers``, ``invalid_timestamp``, ``timestamp_too_old``,
    ``timestamp_in_future`` or ``bad_signature``."""
    key = _key(secret)
    lower = {k.lower(): v for k, v in headers.items()}
    message_id = lower.get("webhook-id", "")
    stamp = lower.get("webhook-timestamp", "")
    signatures = lower.get("webhook-signature", "")
    if not (message_id and stamp and signatures):
        raise WebhookVerificationError(
            "missing_headers", "webhook-id, webhook-timestamp and webhook-signature are needed"
        )
    try:
        sent = int(stamp)
    except ValueError:
        raise WebhookVerificationError(
            "invalid_timestamp", "webhook-timestamp is not a number"
        ) from None
    now = time.time() if now is None else now
    if sent < now - tolerance:
        raise WebhookVerificationError(
            "timestamp_too_old", f"sent {int(now - sent)} s ago (tolerance {tolerance} s)"
        )
    if sent > now + tolerance:
        raise WebhookVerificationError(
            "timestamp_in_future", f"sent {int(sent - now)} s from now (tolerance {tolerance} s)"
        )
    raw = body.encode() if isinstance(body, str) else body
    content = f"{message_id}.{sent}.".encode() + raw
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    # Several signatures may be sent (space-separated), e.g. while a secret is rotated.
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            parsed: dict[str, Any] = json.loads(raw)
            return parsed
    raise WebhookVerificationError("bad_signature", "no signature matches the secret")
