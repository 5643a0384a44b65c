"""Configuration read on hot paths, looked up again at most every few seconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.engine import Connection

T = TypeVar("T")

#: How stale a configuration in force may be: a change (a newly trained model, new
#: thresholds) made by another process takes effect within this time.
RECHECK_SECONDS = 5.0


class Rechecked(Generic[T]):
    """The last value ``load`` gave for a database, kept for :data:`RECHECK_SECONDS`."""

    def __init__(self, load: Callable[[Connection], T]) -> None:
        self._load = load
        self._cached: tuple[float, str, T] | None = None

    def get(self, conn: Connection) -> T:
        now, where = time.monotonic(), str(conn.engine.url)
        cached = self._cached
        if cached is None or cached[1] != where or now - cached[0] > RECHECK_SECONDS:
            cached = self._cached = (now, where, self._load(conn))
        return cached[2]

    def forget(self) -> None:
        """The value changed in this process: the next :meth:`get` reads it again."""
        self._cached = None
