"""Which server process runs the jobs that must run in one place at a time (refining
insight, reviewing risk scores, delivering webhooks) when several workers serve one
PostgreSQL memory.

The leader is the process holding a PostgreSQL session advisory lock on a connection of its
own. If that process dies, its connection closes, the lock is released, and another worker
takes it at its next try (every few seconds). On SQLite there is one server process: it
always leads.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

import psycopg
from sqlalchemy.engine import Engine

log = logging.getLogger("warmline.background")
#: The advisory lock's key (any constant: it names the lock within the database).
LOCK_KEY = 0x5741524D  # "WARM"


class Leadership:
    """Ask :meth:`held` before a singleton job: True when this process leads (taking the
    lead if it is free)."""

    def __init__(self, engine: Engine) -> None:
        self._postgres = engine.dialect.name == "postgresql"
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        self._connect_args: tuple[list[Any], dict[str, Any]] = (list(cargs), dict(cparams))
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        self._leading = False

    def held(self) -> bool:
        if not self._postgres:
            return True
        with self._lock:
            try:
                if self._conn is None or self._conn.closed:
                    cargs, cparams = self._connect_args
                    self._conn = psycopg.connect(
                        *cargs, **cparams, autocommit=True, connect_timeout=5
                    )
                    self._leading = False
                if self._leading:
                    self._conn.execute("SELECT 1")  # still connected, so still holding it
                else:
                    row = self._conn.execute(
                        "SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)
                    ).fetchone()
                    self._leading = bool(row and row[0])
                    if self._leading:
                        log.info("this worker runs the background jobs")
            except psycopg.Error:
                self._drop()
            return self._leading

    def release(self) -> None:
        """Give the lead up now (at shutdown), not when the server notices the connection
        closed: another worker takes it at its next try."""
        with self._lock:
            if self._leading and self._conn is not None:
                with contextlib.suppress(psycopg.Error):
                    self._conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
            self._drop()

    def _drop(self) -> None:
        self._leading = False
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None


_shared: dict[str, Leadership] = {}
_shared_lock = threading.Lock()


def leadership_for(engine: Engine) -> Leadership:
    """The process's leadership for ``engine``'s database: one per process, whatever the
    number of apps in it (tests build many), so that a process never competes with itself."""
    where = engine.url.render_as_string(hide_password=False)
    with _shared_lock:
        if where not in _shared:
            _shared[where] = Leadership(engine)
        return _shared[where]
