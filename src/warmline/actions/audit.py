"""The audit log's writer: every read of a customer is recorded before the read returns.

Readers run concurrently; on SQLite each audit row written in its own transaction
would queue them all behind the write lock. Instead one writer thread per
database drains a queue and writes whatever has arrived in a single transaction
(group commit). Each reader waits until its own row is committed, so an audited
read is never answered before its audit row is durable. A reader may queue its row
first and read while the writer commits (:func:`start_read`, then
:meth:`Receipt.wait` before answering): the read and the commit overlap.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warmline.domain.access.audit_chain import GENESIS, chain_hash, first_break
from warmline.domain.access.roles import Actor
from warmline.storage import schema as t
from warmline.storage.bulk import insert_on_cursor
from warmline.storage.compiled_select import FastSelect
from warmline.storage.engine import writing

log = logging.getLogger("warmline")

GROUP_MAX = 500
IDLE_SECONDS = 5.0  # the thread exits when idle and restarts on the next read
#: While other requests are being answered, the writer waits up to this long for more
#: rows to share a commit.
GATHER_SECONDS = 0.004


def _nobody() -> int:
    return 0


#: How many requests this process is answering now (the server sets it: see
#: :func:`warmline.serving.request_context.requests_in_flight`); outside a server, none.
others_reading: Callable[[], int] = _nobody
WAIT_SECONDS = 30.0


@dataclass
class Receipt:
    """An audit row queued for the writer; :meth:`wait` returns once it is committed (or
    :meth:`when_done` calls back then, for a waiter that holds no thread)."""

    row: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None
    _callbacks: list[Callable[[], None]] | None = None

    def wait(self) -> None:
        """Return once the row is committed; raise if it could not be (the read must then
        not be answered)."""
        if not self.done.wait(WAIT_SECONDS):
            raise TimeoutError(TIMED_OUT)
        if self.error is not None:
            raise self.error

    def when_done(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (from the writer's thread, or at once if it is already done)
        when the row is committed or has failed; then :attr:`error` says which."""
        with _callbacks_lock:
            if not self.done.is_set():
                self._callbacks = [*(self._callbacks or ()), callback]
                return
        callback()

    def _finish(self, error: BaseException | None) -> list[Callable[[], None]]:
        """Mark the row committed (``error`` None) or failed; the callbacks to call now."""
        self.error = error
        with _callbacks_lock:
            self.done.set()
            callbacks, self._callbacks = self._callbacks or [], None
        return callbacks


_callbacks_lock = threading.Lock()
TIMED_OUT = "the audit log did not commit in time; the read is refused"


class AuditWriter:
    """Group-commits audit rows for one engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)
        self._queue: queue.Queue[Receipt] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def waiting(self) -> int:
        """Rows queued and not yet taken by the writer thread."""
        return self._queue.qsize()

    def record(self, row: dict[str, Any]) -> None:
        """Append ``row`` and return once it is committed (raise if it could not be)."""
        self.submit(row).wait()

    def submit(self, row: dict[str, Any]) -> Receipt:
        """Queue ``row`` for the next group commit; wait on the receipt before answering."""
        pending = Receipt(row)
        with self._lock:
            self._queue.put(pending)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="warmline-audit", daemon=True
                )
                self._thread.start()
        return pending

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
            self._write(self._gather(first))

    def _gather(self, first: Receipt) -> list[Receipt]:
        """``first`` and the rows queued behind it. While other requests are being answered
        (:func:`others_reading` above one) it waits up to :data:`GATHER_SECONDS` for their
        rows (no longer once each has one in): one commit then serves several reads, where a
        commit each cost the server more than a card's own queries. A read alone (a script
        reading cards one after another) is committed at once."""
        group = [first]
        running = others_reading()
        until = time.monotonic() + GATHER_SECONDS if running > 1 else 0.0
        while len(group) < GROUP_MAX:
            try:
                group.append(self._queue.get_nowait())
                continue
            except queue.Empty:
                left = until - time.monotonic()
            # Once every request being answered has its row in, nobody is left to wait for.
            if left <= 0 or len(group) >= running:
                break
            try:
                group.append(self._queue.get(timeout=left))
            except queue.Empty:
                break
        return group

    def _write(self, group: list[Receipt]) -> None:
        engine = self._engine()
        try:
            if engine is None:
                raise RuntimeError("the database engine is gone")
            with writing(engine) as conn, conn.begin():
                append_chained(conn, [p.row for p in group])
        except Exception as exc:  # every waiting reader gets the failure, none is lost silently
            error: Exception | None = exc
        else:
            error = None
        callbacks = [callback for pending in group for callback in pending._finish(error)]
        for callback in callbacks:
            try:
                callback()
            except Exception:  # a waiter gone (its event loop closed): the others still hear
                log.warning("an audit waiter could not be told", exc_info=True)


def append_chained(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Append audit rows to the hash chain, in order, inside the caller's transaction."""
    if conn.dialect.name == "postgresql":  # one chain: writers from several processes queue here
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(7411)"))
    last = _LAST_HASH.rows(conn)
    prev = last[0][0] if last and last[0][0] else GENESIS
    for row in rows:
        row["prev_hash"] = prev
        row["hash"] = prev = chain_hash(prev, row)
    # On the cursor: the writer commits a small group per audited read, and SQLAlchemy's
    # statement bookkeeping cost each of them more than the insert.
    insert_on_cursor(conn, t.audit_log, rows)


#: The chain's last hash, read in the appending transaction: compiled once.
_LAST_HASH = FastSelect(sa.select(t.audit_log.c.hash).order_by(t.audit_log.c.id.desc()).limit(1))


_writers: weakref.WeakKeyDictionary[Engine, AuditWriter] = weakref.WeakKeyDictionary()
_writers_lock = threading.Lock()


def queue_depth() -> int:
    """Audit rows waiting to be committed, over every database of this process."""
    with _writers_lock:
        writers = list(_writers.values())
    return sum(writer.waiting for writer in writers)


def record_read(
    engine: Engine, actor: Actor, action: str, customer_id: str | None, detail: dict[str, Any]
) -> None:
    """Audit one read (or search) by ``actor``; returns when the row is committed."""
    start_read(engine, actor, action, customer_id, detail).wait()


def start_read(
    engine: Engine, actor: Actor, action: str, customer_id: str | None, detail: dict[str, Any]
) -> Receipt:
    """Queue the audit row of one read by ``actor`` and return at once: the caller reads
    while it commits, and calls :meth:`Receipt.wait` before it answers with what it read."""
    with _writers_lock:
        writer = _writers.get(engine)
        if writer is None:
            writer = _writers[engine] = AuditWriter(engine)
    return writer.submit(audit_row(actor, action, customer_id, detail))


def audit_row(
    actor: Actor, action: str, customer_id: str | None, detail: dict[str, Any]
) -> dict[str, Any]:
    """An audit entry, before it is chained."""
    return {
        "at": dt.datetime.now(dt.UTC),
        "actor": actor.key_id,
        "role": actor.role.value,
        "action": action,
        "customer_id": customer_id,
        "detail": detail,
    }


def verify_chain(engine: Engine, batch: int = 5000) -> tuple[int, int | None]:
    """Walk the whole audit log: (entries checked, id of the first broken entry or None)."""
    a = t.audit_log
    checked, prev, last_id = 0, GENESIS, 0
    with engine.connect() as conn:
        while True:
            rows = [
                dict(r)
                for r in conn.execute(
                    sa.select(a).where(a.c.id > last_id).order_by(a.c.id).limit(batch)
                ).mappings()
            ]
            if not rows:
                return checked, None
            broken = first_break(rows, prev)
            if broken is not None:
                return checked + sum(1 for r in rows if r["id"] < broken), broken
            checked += len(rows)
            prev, last_id = rows[-1]["hash"], rows[-1]["id"]
