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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

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
