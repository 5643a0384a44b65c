"""Server-Sent Events for the desk: one polling loop for every live stream.

A stream polls for news, sends what it found (at once when the process's bell rings for
it: :mod:`warmline.actions.desk_bell`), re-checks the desk session every
``RECHECK_SECONDS`` (a signed-out or revoked desk stops receiving at once, with a
``signed_out`` event), and sends a comment line when it has been quiet for
``KEEPALIVE_SECONDS`` so proxies keep the connection open.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from warmline.actions.desk_bell import BELL
from warmline.actions.desk_sessions import session_actor

RECHECK_SECONDS = 2.0
KEEPALIVE_SECONDS = 15.0

#: One poll: the frames to send now, and whether the stream is over after them.
Poll = Callable[[], Awaitable[tuple[list[str], bool]]]


def frame(event: str, data: Any, event_id: str | int | None = None) -> str:
    """One SSE frame; ``data`` is sent as JSON."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {orjson.dumps(data).decode()}\n\n"


def polled_stream(
    request: Request,
    engine: Any,
    token: str,
    poll: Poll,
    *,
    every: float,
    bell: str | None = None,
) -> StreamingResponse:
    """A streaming response that calls ``poll`` every ``every`` seconds (and whenever
    ``bell`` rings) until the browser goes, the poll says the stream is over, or the desk
    session ends."""

    async def events() -> AsyncIterator[str]:
        yield "retry: 1000\n\n"
        if bell is None:
            async for item in _polled(asyncio.sleep):
                yield item
            return
        with BELL.listen(bell) as listener:
            async for item in _polled(listener.wait):
                yield item

    async def _polled(wait: Callable[[float], Awaitable[None]]) -> AsyncIterator[str]:
        checked = sent = time.monotonic()
        while not await request.is_disconnected():
            frames, over = await poll()
            for item in frames:
                yield item
            if frames:
                sent = time.monotonic()
            if over:
                return
            clock = time.monotonic()
            if clock - checked > RECHECK_SECONDS:
                checked = clock
                if await run_in_threadpool(session_actor, engine, token) is None:
                    yield "event: signed_out\ndata: {}\n\n"
                    return
            if clock - sent > KEEPALIVE_SECONDS:
                sent = clock
                yield ": keep-alive\n\n"
            await wait(every)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
