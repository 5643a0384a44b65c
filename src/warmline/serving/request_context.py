"""Each request's id, its access-log line and its metrics, as one plain ASGI middleware.

The id comes from the caller's ``X-Request-ID`` when it is a short token (a load balancer
or an integration may set one to follow a request across systems), otherwise it is made
here; it is echoed in the response's ``X-Request-ID`` and carried by every log line
written while the request runs (:mod:`warmline.serving.logs`). Plain ASGI rather than
Starlette's ``BaseHTTPMiddleware``: it adds no task or stream copy to each request, and it
sees a streamed response (the desk's event stream) start and end.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warmline.serving.prometheus import REQUEST_SECONDS, SSE_CONNECTIONS

HEADER = "x-request-id"
_GOOD_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
access_log = logging.getLogger("warmline.access")


_in_flight = 0


def requests_in_flight() -> int:
    """HTTP requests this process is answering now (event streams once they stream are
    not counted: they stay open for hours and answer nothing more)."""
    return _in_flight


def incoming_id(scope: Scope) -> str:
    """The caller's request id if it is a safe token, else a new one."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = str(value, "latin-1")
            if _GOOD_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's template (``/v1/customers/{customer_id}``), or ``unmatched``."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


class RequestContext:
    """Request id, access log line and latency metric for every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        global _in_flight
        rid = incoming_id(scope)
        token = request_id.set(rid)
        started = time.perf_counter()
        state: dict[str, Any] = {"status": 500, "stream": False, "seconds": None}
        _in_flight += 1

        async def send_with_id(message: Message) -> None:
            global _in_flight
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["seconds"] = time.perf_counter() - started
                headers = list(message.get("headers", ()))
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message["headers"] = headers
                for name, value in headers:
                    if name == b"content-type" and value.startswith(b"text/event-stream"):
                        state["stream"] = True
                        SSE_CONNECTIONS.inc()
                        _in_flight -= 1
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            # The 500 handler runs outside this middleware and quotes the id: keep it set
            # (each request runs in its own task, so it goes no further).
            self._record(scope, state, started)
            raise
        self._record(scope, state, started)
        request_id.reset(token)

    @staticmethod
    def _record(scope: Scope, state: dict[str, Any], started: float) -> None:
        global _in_flight
        if state["stream"]:
            SSE_CONNECTIONS.dec()
        else:
            _in_flight -= 1
        seconds = state["seconds"]
        if seconds is None:
            seconds = time.perf_counter() - started
        route = route_template(scope)
        status = state["status"]
        REQUEST_SECONDS.labels(scope["method"], route, str(status)).observe(seconds)
        access_log.info(
            "request",
            extra={
                "method": scope["method"],
                "route": route,
                "path": scope["path"],
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "open_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )


class SecurityHeaders:
    """``nosniff`` and ``no-referrer`` on every response, and the Content-Security-Policy
    of the first path prefix that matches. Plain ASGI: Starlette's ``BaseHTTPMiddleware``
    ran each request in a task of its own with a copied stream, a cost every card paid."""

    def __init__(self, app: ASGIApp, by_prefix: tuple[tuple[str, ...], ...]) -> None:
        """``by_prefix``: ``(prefix, policy)`` or ``(prefix, policy, cache_control)``."""
        self.app = app
        self.by_prefix: list[tuple[str, list[tuple[bytes, bytes]]]] = []
        for prefix, policy, *cache in by_prefix:
            headers = [(b"content-security-policy", policy.encode())]
            headers += [(b"cache-control", value.encode()) for value in cache]
            self.by_prefix.append((prefix, headers))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
        path = scope["path"]
        for prefix, headers in self.by_prefix:
            if path.startswith(prefix):
                added += headers
                break

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in added}  # ours replace any set before
                kept = [(n, v) for n, v in message.get("headers", ()) if n.lower() not in names]
                message["headers"] = [*kept, *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)
