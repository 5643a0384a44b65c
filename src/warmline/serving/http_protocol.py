"""The HTTP connection as ``warmline serve`` runs it: uvicorn's httptools protocol, plus a
deadline for a request's head and one for its body.

uvicorn closes a kept-alive connection after ``timeout_keep_alive``, but a connection that
never sends a request, or trickles its headers a byte at a time, it keeps for ever: ten
thousand of them would hold ten thousand sockets and their buffers. Here a connection must
send a whole request head within :data:`HEAD_SECONDS` of opening (or of its previous
response), or it is closed. A body trickled over minutes would hold its request (and the
route waiting for it) the same way: the whole body must arrive within :data:`BODY_SECONDS`
of the head, or the client is answered ``408 request_body_too_slow`` and the connection
closed. Nothing of such a request was acknowledged, so nothing is lost.
"""

from __future__ import annotations

import asyncio

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from warmline.errors import RequestTimeout

#: How long a client has to send a request's line and headers.
HEAD_SECONDS = 20.0
#: How long a client has, after the head, to send the whole body.
BODY_SECONDS = 60.0


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's protocol with a deadline for each request head and body."""

    _head_timer: asyncio.TimerHandle | None = None
    _body_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._body_done()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
        self._body_done()
        self._body_timer = self.loop.call_later(BODY_SECONDS, self._body_too_slow)

    def on_message_complete(self) -> None:
        self._body_done()
        super().on_message_complete()

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(HEAD_SECONDS, self._too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _too_slow(self) -> None:
        self._head_timer = None
        if self.cycle is None or self.cycle.response_complete:
            self.transport.close()  # idle, or a head still incomplete: nothing is lost

    def _body_done(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _body_too_slow(self) -> None:
        self._body_timer = None
        cycle = self.cycle
        if cycle is None or not cycle.more_body or cycle.response_complete:
            return
        if not cycle.response_started:
            problem = RequestTimeout(
                "request_body_too_slow",
                f"the request body did not arrive within {BODY_SECONDS:.0f} seconds of its "
                "headers; nothing of this request was stored",
                hint="send the whole body at once, and retry",
            ).problem()
            body = orjson.dumps(problem)
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/problem+json\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
            )
        # The route waiting for the rest is told the client went (``http.disconnect``).
        self.transport.close()
