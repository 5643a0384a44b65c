"""Blocking work (database reads, the audit wait) off the event loop, in one hop; short
reads of a local SQLite file on it while they stay fast.

FastAPI runs each plain ``def`` endpoint and dependency through AnyIO's worker threads:
a capacity limiter, a cancel scope and a ``queue.Queue`` per hand-off. On the card's path
that hand-off cost the server more CPU than the card's own queries. The hot routes hand
their blocking work to this executor instead (``concurrent.futures`` with a C queue), with
the caller's context variables (the request id on log lines) carried across.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

#: As many as AnyIO's default limiter allows: requests waiting on the audit commit hold one.
THREADS = 40

_executor = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="warmline-blocking")


async def run_blocking(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` on a worker thread, awaited; exceptions propagate."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_executor, call)


#: Reads of an SQLite file run in this process, on its page cache: CPU work, in C but
#: handing the GIL back and forth between statements and rows. More threads at it than
#: cores only queue for the GIL (on the card, with 16 clients, 40 threads cost each card
#: several times the context switches and a third more CPU than 2). PostgreSQL's reads
#: wait on the server instead, and keep the wide executor above.
LOCAL_READERS = max(2, os.cpu_count() or 2)

_local_readers = ThreadPoolExecutor(max_workers=LOCAL_READERS, thread_name_prefix="warmline-read")


class InlineReads:
    """Whether a short read of a local SQLite file runs on the event loop itself.

    Handing a read to a thread and its answer back costs more CPU than a card's reads
    from the page cache (about a quarter of the served card), but a read on the loop holds
    every other request and live stream of the process while it runs. So reads run on the
    loop while they are fast, and one that took longer than :attr:`slow` (a cold cache, a
    disk that stalls, a checkpoint) sends the reads after it to the threads for
    :attr:`away` seconds before the loop tries again.
    """

    def __init__(self, slow: float = 0.02, away: float = 10.0) -> None:
        self.slow, self.away = slow, away
        self._threads_until = 0.0

    @property
    def on_loop(self) -> bool:
        return time.monotonic() >= self._threads_until

    def took(self, seconds: float) -> None:
        """A read on the loop took ``seconds``."""
        if seconds > self.slow:
            self._threads_until = time.monotonic() + self.away
            log.info(
                "a read on the event loop took %.1f ms: reads go to threads for %.0f s",
                seconds * 1000,
                self.away,
            )


inline_reads = InlineReads()


async def run_read(engine: Engine, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)``, a short read of ``engine``'s database: for a local SQLite
    file on the event loop while such reads stay fast (:class:`InlineReads`), else on one
    of as many threads as there are cores; for PostgreSQL as :func:`run_blocking`."""
    if engine.dialect.name != "sqlite":
        return await run_blocking(fn, *args, **kwargs)
    if inline_reads.on_loop:
        began = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            inline_reads.took(time.perf_counter() - began)
    context = contextvars.copy_context()
    call = functools.partial(context.run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_local_readers, call)
