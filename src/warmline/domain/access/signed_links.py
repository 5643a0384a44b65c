"""Links sent to customers: signed (HMAC-SHA256 with a secret from the settings), expiring,
and naming one stored link so it can be spent once.

A token is ``<claims>.<signature>``, both base64url: the claims are JSON with the link's
id, its purpose and when it expires. Checking one tells apart a token that is not one
(``link_malformed``), one whose signature does not match (``link_tampered``: any change
to the claims, or another secret), one made for another purpose (``link_wrong_purpose``)
and one past its time (``link_expired``); spending it once is the store's job.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
from typing import Any

import orjson

MIN_SECRET_CHARS = 32
MAX_TOKEN_CHARS = 600


class LinkError(ValueError):
    """Why a link cannot be used: a stable code and words for the person holding it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def sign_link(secret: str, purpose: str, link_id: str, expires_at: dt.datetime) -> str:
    """A token for stored link ``link_id``, good for ``purpose`` until ``expires_at``."""
    claims = {"p": purpose, "l": link_id, "e": int(expires_at.timestamp())}
    body = _b64(orjson.dumps(claims))
    return f"{body}.{_signature(secret, body)}"


def read_link(secret: str, purpose: str, token: str, now: dt.datetime) -> dict[str, Any]:
    """The claims of a valid token (``link_id``, ``expires_at``), or :class:`LinkError`."""
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise LinkError("link_malformed", "This link is not complete: open the one we sent you.")
    body, signature = token.split(".")
    if not hmac.compare_digest(_signature(secret, body), signature):
        raise LinkError(
            "link_tampered", "This link has been changed or is not ours: open the one we sent you."
        )
    try:
        claims = orjson.loads(_unb64(body))
        purpose_said, link_id, expires = claims["p"], str(claims["l"]), int(claims["e"])
    except (binascii.Error, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise LinkError("link_malformed", "This link is not complete.") from None
    if purpose_said != purpose:
        raise LinkError("link_wrong_purpose", "This link is for something else.")
    expires_at = dt.datetime.fromtimestamp(expires, dt.UTC)
    if now >= expires_at:
        raise LinkError(
            "link_expired", "This link has expired: ask us for a new one, it only takes a moment."
        )
    return {"link_id": link_id, "expires_at": expires_at}
