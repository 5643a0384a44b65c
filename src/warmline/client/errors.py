"""What the client raises when Warmline answers with a problem (RFC 9457).

::

    WarmlineAPIError            any problem answer: status, code, detail, hint, body
    ├── BadRequest        400   the request is malformed (JSON, a parameter)
    ├── Unauthorized      401   no key, an unknown, revoked or expired key or secret
    ├── Forbidden         403   the key's role may not do this
    ├── NotFound          404   no such customer, interaction, ...
    ├── Conflict          409   the state forbids it (already merged, handover pending)
    ├── Gone              410   erased, or a link already used or expired
    ├── PayloadTooLarge   413   body or batch over the limit
    ├── Unprocessable     422   every event rejected, or a payload that cannot be used
    ├── TooManyRequests   429   throttled; ``retry_after`` says for how long
    └── ServerError       5xx   nothing was half-written: retry

Switch on ``code`` (stable, e.g. ``customer_not_found``), not on the message.
"""

from __future__ import annotations

from typing import Any


class WarmlineAPIError(Exception):
    """A problem answer: ``status``, its stable ``code``, ``detail``, ``hint``, ``body``."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body
        self.code = str(body.get("code") or f"http_{status}")
        self.detail = str(body.get("detail") or body.get("title") or "")
        self.hint = str(body.get("hint") or "")
        super().__init__(
            f"{status} {self.code}: {self.detail}" + (f" ({self.hint})" if self.hint else "")
        )


class BadRequest(WarmlineAPIError):
    pass


class Unauthorized(WarmlineAPIError):
    pass


class Forbidden(WarmlineAPIError):
    pass


class NotFound(WarmlineAPIError):
    pass


class Conflict(WarmlineAPIError):
    pass


class Gone(WarmlineAPIError):
    pass


class PayloadTooLarge(WarmlineAPIError):
    pass


class Unprocessable(WarmlineAPIError):
    pass


class TooManyRequests(WarmlineAPIError):
    @property
    def retry_after(self) -> int | None:
        """Seconds to wait, from the answer's ``Retry-After``."""
        value = self.body.get("retry_after")
        return int(value) if isinstance(value, int | float | str) and str(value).isdigit() else None


class ServerError(WarmlineAPIError):
    pass


BY_STATUS: dict[int, type[WarmlineAPIError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: BadRequest,
    409: Conflict,
    410: Gone,
    413: PayloadTooLarge,
    422: Unprocessable,
    429: TooManyRequests,
}


def error_for(status: int, body: Any) -> WarmlineAPIError:
    """The typed error for a problem answer (any body that is not an object is kept as text)."""
    problem = body if isinstance(body, dict) else {"detail": str(body)[:500]}
    kind = BY_STATUS.get(status, ServerError if status >= 500 else WarmlineAPIError)
    return kind(status, problem)
