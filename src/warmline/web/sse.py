"""Server-Sent Events for the desk and the branch screens, without polling.

A stream reads what is new from the database once when it opens (what a reconnecting
browser missed since its ``Last-Event-ID``), then sleeps until a write it listens to
commits (:mod:`warmline.storage.live`: ``NOTIFY`` on PostgreSQL, in process on SQLite),
reads again, and so on. It ends at once when the desk session is signed out or its key
revoked (both announced), when the session expires (a time known in advance), and when the
browser goes. While quiet it sends a comment line every ``KEEPALIVE_SECONDS`` so proxies
keep the connection open.

Bounded: at most ``max_streams`` open streams per server process (more are refused with 503
and ``Retry-After``), and a browser that takes nothing sent to it for
``SEND_TIMEOUT_SECONDS`` (a client that never reads) loses its stream, so a slow reader
never holds more than the socket's buffers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import anyio
import orjson
from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Message, Send

from warmline.actions.desk_sessions import live_session
from warmline.errors import Unavailable
from warmline.serving.live_listener import ensure_listening
from warmline.storage.live import HUB, Listener

KEEPALIVE_SECONDS = 15.0
SEND_TIMEOUT_SECONDS = 30.0

log = logging.getLogger("warmline.live")


@dataclass
class Read:
    """What one read found: the frames to send now; ``more`` when it stopped at a page's
    end (the stream reads again at once, sending as the browser takes them); ``over`` when
    the stream ends after these frames."""

    frames: list[str]
    more: bool = False
    over: bool = False


Fetch = Callable[[], Awaitable[Read]]
#: When the stream should read again although nothing rang (the screen at midnight).
NextRead = Callable[[], dt.datetime | None]


def frame(event: str, data: Any, event_id: str | int | None = None) -> str:
    """One SSE frame; ``data`` is sent as JSON."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {orjson.dumps(data).decode()}\n\n"


class _Open:
    """How many streams this process has open, against its ceiling."""

    def __init__(self) -> None:
        self.count = 0

    def check(self, ceiling: int) -> None:
        if self.count >= ceiling:
            raise Unavailable(
                "too_many_streams",
                f"this server process already holds {ceiling} live streams",
                hint="the browser retries by itself; add server workers, or raise "
                "WARMLINE_MAX_STREAMS if memory allows",
                extra={"retry_after": 5},
            )


OPEN = _Open()


class LiveResponse(StreamingResponse):
    """A streaming response whose every send must be taken within
    :data:`SEND_TIMEOUT_SECONDS`: a client that never reads is dropped, not buffered. The
    stream is closed whichever way the response ends, so its slot and its ear are freed at
    once (not when the garbage collector finds it)."""

    async def stream_response(self, send: Send) -> None:
        async def bounded(message: Message) -> None:
            await asyncio.wait_for(send(message), SEND_TIMEOUT_SECONDS)

        try:
            await super().stream_response(bounded)
        except TimeoutError:
            # Returning unfinished makes the server close the connection.
            log.warning(
                "a live stream's client took nothing for %ss: dropped", SEND_TIMEOUT_SECONDS
            )
        finally:
            close = getattr(self.body_iterator, "aclose", None)
            if close is not None:
                with anyio.CancelScope(shield=True):
                    await close()


def live_stream(
    request: Request,
    engine: Any,
    token: str,
    fetch: Fetch,
    *,
    topics: Iterable[str],
    next_read: NextRead | None = None,
) -> StreamingResponse:
    """A stream that calls ``fetch`` when it opens and whenever one of ``topics`` is
    announced, until the browser goes, ``fetch`` says it is over, or the session ends."""
    watched = frozenset(topics)
    OPEN.check(request.app.state.settings.max_streams)

    async def events() -> AsyncIterator[str]:
        OPEN.count += 1
        try:
            yield "retry: 1000\n\n"
            session = await run_in_threadpool(live_session, engine, token)
            if session is None:
                yield "event: signed_out\ndata: {}\n\n"
                return
            ending = frozenset(session.topics)
            with HUB.listen(watched | ending) as ear:
                ensure_listening(engine)
                watcher = asyncio.create_task(_hang_up_on_disconnect(request, ear))
                try:
                    async for item in _loop(ear, session.until, ending):
                        yield item
                finally:
                    watcher.cancel()
        finally:
            OPEN.count -= 1

    async def _loop(
        ear: Listener, until: dt.datetime, ending: frozenset[str]
    ) -> AsyncIterator[str]:
        rung: set[str] = set(watched)  # the first read replays what the browser missed
        sent = time.monotonic()
        wake = next_read() if next_read else None
        while not ear.closed:
            now = dt.datetime.now(dt.UTC)
            if rung & ending and await run_in_threadpool(live_session, engine, token) is None:
                yield "event: signed_out\ndata: {}\n\n"
                return
            if now >= until:
                yield "event: signed_out\ndata: {}\n\n"
                return
            if wake is not None and now >= wake:
                rung |= watched
                wake = next_read() if next_read else None
            if rung & watched:
                read = Read([], more=True)
                while read.more and not ear.closed:
                    read = await fetch()
                    for item in read.frames:
                        yield item
                    if read.frames:
                        sent = time.monotonic()
                if read.over:
                    return
            quiet = time.monotonic() - sent
            if quiet >= KEEPALIVE_SECONDS:
                yield ": keep-alive\n\n"
                sent, quiet = time.monotonic(), 0.0
            deadlines = [KEEPALIVE_SECONDS - quiet, (until - now).total_seconds()]
            if wake is not None:
                deadlines.append((wake - now).total_seconds())
            rung = await ear.wait(max(min(deadlines), 0.0) + 0.01)

    return LiveResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _hang_up_on_disconnect(request: Request, ear: Listener) -> None:
    """Wake the stream for good when the browser goes (nothing else would until the next
    keep-alive)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            ear.hang_up()
            return
