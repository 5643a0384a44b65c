"""Errors Warmline raises on purpose, each with a stable code and an HTTP status.

::

    WarmlineError                  base: code, status, message, hint
    ├── InvalidRequest      400    the request itself is malformed (JSON, shape, query)
    ├── Unauthenticated     401    no key, unknown key or revoked key
    ├── Forbidden           403    the key's role may not do this
    ├── NotFound            404    no such customer/interaction (or not visible to the key)
    ├── Conflict            409    the state changed or forbids it (already merged, undone)
    ├── RequestTimeout      408    the request's body did not arrive in time (a trickle)
    ├── Gone                410    the customer was erased
    ├── PayloadTooLarge     413    body or batch over the configured limit
    ├── Unprocessable       422    well-formed but every item was rejected
    ├── TooManyFailures     429    too many failed key checks from one address
    ├── RateLimited         429    over a limit on how often something may be done
    ├── DatabaseNotReady    503    the schema is missing or behind: run `warmline db upgrade`
    ├── Misconfigured       503    a configured file is wrong (the message names file and field)
    ├── NotConfigured       503    a feature needs a setting that is not set (WARMLINE_LINK_SECRET)
    └── Unavailable         503    a service Warmline relies on is down (the database: down,
                                   read-only, full or busy; an SMS gateway): retry later
                                   (``Retry-After`` says when)

One handler in :mod:`warmline.app` renders them as RFC 9457 problem details
(``application/problem+json``) with ``code`` and ``hint`` members. Codes never
change meaning once released; clients may switch on them.
"""

from __future__ import annotations

from typing import Any, ClassVar


class WarmlineError(Exception):
    """Base of every deliberate error: stable ``code``, HTTP ``status``, and a hint."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(
        self, code: str, message: str, *, hint: str = "", extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.extra = extra or {}

    def problem(self) -> dict[str, Any]:
        """The RFC 9457 problem-details body for this error."""
        body: dict[str, Any] = {
            "type": f"https://warmline.dev/errors/{self.code}",
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.message,
        }
        if self.hint:
            body["hint"] = self.hint
        body.update(self.extra)
        return body


class InvalidRequest(WarmlineError):
    status = 400
    title = "Invalid request"


class Unauthenticated(WarmlineError):
    status = 401
    title = "Not authenticated"


class Forbidden(WarmlineError):
    status = 403
    title = "Forbidden"


class NotFound(WarmlineError):
    status = 404
    title = "Not found"


class RequestTimeout(WarmlineError):
    status = 408
    title = "Request timeout"


class Conflict(WarmlineError):
    status = 409
    title = "Conflict"


class Gone(WarmlineError):
    status = 410
    title = "Gone"


class PayloadTooLarge(WarmlineError):
    status = 413
    title = "Payload too large"


class Unprocessable(WarmlineError):
    status = 422
    title = "Unprocessable content"


class TooManyFailures(WarmlineError):
    status = 429
    title = "Too many failed attempts"


class RateLimited(WarmlineError):
    status = 429
    title = "Too many requests"


class DatabaseNotReady(WarmlineError):
    status = 503
    title = "Database not ready"


class Misconfigured(WarmlineError):
    status = 503
    title = "Misconfigured"


class NotConfigured(WarmlineError):
    status = 503
    title = "Not configured"


class Unavailable(WarmlineError):
    """A service Warmline relies on cannot serve this request now: the database (down,
    read-only, disk full, busy; nothing was half-written, the transaction rolled back
    whole) or an SMS gateway. ``extra["retry_after"]`` (seconds), when there is one,
    becomes the ``Retry-After`` header."""

    status = 503
    title = "Service unavailable"
