"""The HTTP connection as ``warmline serve`` runs it: uvicorn's httptools protocol, plus a
deadline for a request's head.

uvicorn closes a kept-alive connection after ``timeout_keep_alive``, but a connection that
never sends a request, or trickles its headers a byte at a time, it keeps for ever: ten
thousand of them would hold ten thousand sockets and their buffers. Here a connection must
send a whole request head within :data:`HEAD_SECONDS` of opening (or of its previous
response), or it is closed.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: How long a client has to send a request's line and headers.
HEAD_SECONDS = 20.0


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's protocol with a deadline for each request head."""

    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

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
