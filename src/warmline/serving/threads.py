"""Blocking work (database reads, the audit wait) off the event loop, in one hop.

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
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from sqlalchemy.engine import Engine

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


async def run_read(engine: Engine, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)``, which reads ``engine``'s database, on a worker thread: one of
    as many as there are cores for a local SQLite file, else as :func:`run_blocking`."""
    if engine.dialect.name != "sqlite":
        return await run_blocking(fn, *args, **kwargs)
    context = contextvars.copy_context()
    call = functools.partial(context.run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_local_readers, call)
