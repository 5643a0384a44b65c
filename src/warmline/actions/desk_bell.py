"""A bell for live streams: a push rings it, and the stream waiting for that desk (or that
branch's screen) wakes at once instead of at its next poll.

Streams still poll (another server process may have written the push), so the bell only
makes delivery quicker, never surer. It is per process, in memory.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class Listener:
    """One stream's ear: :meth:`wait` returns when rung (or after ``timeout``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self.event.wait(), timeout)
        self.event.clear()


class Bell:
    """Listeners by name (a desk's agent, ``screen:<branch>``), rung from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[str, set[Listener]] = {}

    def ring(self, name: str) -> None:
        with self._lock:
            listeners = list(self._listeners.get(name, ()))
        for listener in listeners:
            with suppress(RuntimeError):  # its loop has closed: the stream is gone
                listener.loop.call_soon_threadsafe(listener.event.set)

    @contextmanager
    def listen(self, name: str) -> Iterator[Listener]:
        listener = Listener(asyncio.get_running_loop())
        with self._lock:
            self._listeners.setdefault(name, set()).add(listener)
        try:
            yield listener
        finally:
            with self._lock:
                group = self._listeners.get(name)
                if group is not None:
                    group.discard(listener)
                    if not group:
                        del self._listeners[name]


#: The process's bell.
BELL = Bell()


def screen_name(branch: str) -> str:
    """What a branch's waiting-room screens listen to."""
    return f"screen:{branch}"
