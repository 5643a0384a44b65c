"""Running a coroutine from a test, whatever else runs on the test's thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_apart(scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``scenario`` in an event loop of its own, on a thread of its own: the browser
    tests' Playwright keeps a loop running on the main thread for the whole session, and
    ``asyncio.run`` refuses to start under a running loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(scenario())).result()
