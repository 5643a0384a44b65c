"""The audit log's writer: every read of a customer is recorded before the read returns.

Readers run concurrently; on SQLite each audit row written in its own transaction
would queue them all behind the write lock. Instead one writer thread per
database drains a queue and writes whatever has arrived in a single transaction
(group commit). Each reader waits until its own row is committed, so an audited
read is never answered before its audit row is durable.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from warmline.actions.keys import Actor
from warmline.storage import schema as t
from warmline.storage.engine import writing

GROUP_MAX = 500
IDLE_SECONDS = 5.0  # the thread exits when idle and restarts on the next read
WAIT_SECONDS = 30.0


@dataclass
class _Pending:
    row: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class AuditWriter:
    """Group-commits audit rows for one engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)
        self._queue: queue.Queue[_Pending] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def record(self, row: dict[str, Any]) -> None:
        """Append ``row`` and return once it is committed (raise if it could not be)."""
        pending = _Pending(row)
        with self._lock:
            self._queue.put(pending)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="warmline-audit", daemon=True
                )
                self._thread.start()
        if not pending.done.wait(WAIT_SECONDS):
            raise TimeoutError("the audit log did not commit in time; the read is refused")
        if pending.error is not None:
            raise pending.error

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            group = [first]
            while len(group) < GROUP_MAX:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write(group)

    def _write(self, group: list[_Pending]) -> None:
        engine = self._engine()
        try:
            if engine is None:
                raise RuntimeError("the database engine is gone")
            with writing(engine) as conn, conn.begin():
                conn.execute(t.audit_log.insert(), [p.row for p in group])
        except Exception as exc:  # every waiting reader gets the failure, none is lost silently
            for pending in group:
                pending.error = exc
        finally:
            for pending in group:
                pending.done.set()


_writers: weakref.WeakKeyDictionary[Engine, AuditWriter] = weakref.WeakKeyDictionary()
_writers_lock = threading.Lock()


def record_read(
    engine: Engine, actor: Actor, action: str, customer_id: str | None, detail: dict[str, Any]
) -> None:
    """Audit one read (or search) by ``actor``; returns when the row is committed."""
    with _writers_lock:
        writer = _writers.get(engine)
        if writer is None:
            writer = _writers[engine] = AuditWriter(engine)
    writer.record(
        {
            "at": dt.datetime.now(dt.UTC),
            "actor": actor.key_id,
            "role": actor.role.value,
            "action": action,
            "customer_id": customer_id,
            "detail": detail,
        }
    )
