"""Live news for open streams: a write *announces* topics (``desk:<agent>``,
``interaction:<id>``, ``screen:<branch>``, ``session:<hash>``, ``key:<id>``) inside its
transaction, and every stream listening to one of them wakes once the write is committed,
then reads what is new from the database.

- PostgreSQL: the announcements are one ``NOTIFY`` on :data:`CHANNEL` in the writer's own
  transaction, made as it commits, so it is sent exactly when (and only if) the write
  commits, to every server process. Each process keeps one ``LISTEN`` connection
  (:mod:`warmline.serving.live_listener`) and rings its :data:`HUB` for each topic.
- SQLite (one server process): the topics wait on the connection and ring :data:`HUB`
  once the transaction has committed (hooks set by :func:`install_live_hooks`).

The database stays the record: a stream replays from it (``desk_pushes.id``, a message's
``sent_at|id``), so a ring only says *when* to look, never *what* happened. A ring too
many costs one read; none is ever needed for correctness after a reconnect, which replays.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

#: The PostgreSQL notification channel every Warmline process listens on.
CHANNEL = "warmline_live"
#: PostgreSQL refuses payloads of 8,000 bytes or more; topics are joined by newlines below it.
MAX_PAYLOAD = 7000
_PENDING = "warmline_live_pending"
_COMMITTED = "warmline_live_committed"


#: Derived figures (rollups, risk scores) are due: the background worker brings them up to
#: date (:mod:`warmline.actions.derived`).
DERIVED_TOPIC = "derived"


def desk_topic(agent: str) -> str:
    """What a desk's stream listens to: pushes for ``agent`` (or ``queue:<name>``)."""
    return f"desk:{agent}"


def interaction_topic(interaction_id: str) -> str:
    """New messages or a change of status of one interaction (the live conversation)."""
    return f"interaction:{interaction_id}"


def screen_topic(branch: str) -> str:
    """A change to what a branch's waiting-room screens show (a ticket called or ended)."""
    return f"screen:{branch}"


def session_topic(token_hash: str) -> str:
    """One desk session signed out."""
    return f"session:{token_hash}"


def key_topic(key_id: str) -> str:
    """A key revoked: every desk session opened with it ends."""
    return f"key:{key_id}"


class Listener:
    """One stream's ear: :meth:`wait` returns the topics rung since the last wait (empty
    after ``timeout``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.event = asyncio.Event()
        self.rung: set[str] = set()  # bounded: only topics this stream listens to
        self.closed = False

    def _ring(self, topic: str) -> None:
        self.rung.add(topic)
        self.event.set()

    def deliver(self, topic: str) -> None:
        """Ring from any thread (on the stream's loop)."""
        with suppress(RuntimeError):  # its loop has closed: the stream is gone
            self.loop.call_soon_threadsafe(self._ring, topic)

    def hang_up(self) -> None:
        """The stream's client has gone: wake it for the last time."""
        self.closed = True
        self.event.set()

    async def wait(self, timeout: float | None) -> set[str]:
        with suppress(TimeoutError):
            await asyncio.wait_for(self.event.wait(), timeout)
        self.event.clear()
        rung, self.rung = self.rung, set()
        return rung


class ThreadListener:
    """A worker thread's ear (no event loop): ``event`` is set when a topic rings."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def deliver(self, topic: str) -> None:
        self.event.set()


class Hub:
    """Listeners by topic, rung from any thread; one per process (:data:`HUB`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[str, set[Listener | ThreadListener]] = {}

    def ring(self, topic: str) -> None:
        with self._lock:
            listeners = list(self._listeners.get(topic, ()))
        for listener in listeners:
            listener.deliver(topic)

    def ring_all(self) -> None:
        """Wake every stream (after a lost connection: news may have been missed)."""
        with self._lock:
            topics = list(self._listeners)
        for topic in topics:
            self.ring(topic)

    def listening(self) -> int:
        """How many streams listen (each counted once per topic)."""
        with self._lock:
            return sum(len(group) for group in self._listeners.values())

    @contextmanager
    def listen(self, topics: Iterable[str]) -> Iterator[Listener]:
        listener = Listener(asyncio.get_running_loop())
        with self._listening(listener, topics):
            yield listener

    @contextmanager
    def listen_in_thread(self, topics: Iterable[str], event: threading.Event) -> Iterator[None]:
        """Set ``event`` whenever one of ``topics`` rings (for a worker thread's loop)."""
        with self._listening(ThreadListener(event), topics):
            yield

    @contextmanager
    def _listening(
        self, listener: Listener | ThreadListener, topics: Iterable[str]
    ) -> Iterator[None]:
        names = list(dict.fromkeys(topics))
        with self._lock:
            for name in names:
                self._listeners.setdefault(name, set()).add(listener)
        try:
            yield
        finally:
            with self._lock:
                for name in names:
                    group = self._listeners.get(name)
                    if group is not None:
                        group.discard(listener)
                        if not group:
                            del self._listeners[name]


#: The process's hub.
HUB = Hub()


def payloads(topics: Iterable[str]) -> list[str]:
    """Topics joined by newlines into as few payloads as fit under :data:`MAX_PAYLOAD`."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    for topic in dict.fromkeys(topics):
        encoded = len(topic.encode())
        if encoded > MAX_PAYLOAD:
            continue  # no topic is this long (ids and names are bounded); never split one
        if current and size + encoded + 1 > MAX_PAYLOAD:
            out.append("\n".join(current))
            current, size = [], 0
        current.append(topic)
        size += encoded + 1
    if current:
        out.append("\n".join(current))
    return out


def announce(conn: Connection, *topics: str) -> None:
    """Wake the streams listening to ``topics`` once the current transaction commits."""
    if topics:
        conn.info.setdefault(_PENDING, set()).update(topics)


def install_live_hooks(engine: Engine) -> None:
    """Send what a transaction announced when it commits; forget it on rollback.

    PostgreSQL: one ``NOTIFY`` statement for everything the transaction announced, run in
    it just before the commit (SQLAlchemy's ``commit`` event), so it is sent with the
    commit, and only then (a transaction announcing three topics costs
    one round trip, not three). SQLite: the ``commit`` event comes just before the commit
    itself, so the topics move aside there and ring when the connection next begins or
    goes back to the pool: by then the commit is done and a woken stream reads it.
    """
    postgres = engine.dialect.name == "postgresql"

    @sa.event.listens_for(engine, "commit")
    def _committed(conn: Connection) -> None:
        pending = conn.info.pop(_PENDING, None)
        if not pending:
            return
        if postgres:
            # Through SQLAlchemy, in the transaction still open: a database gone meanwhile
            # fails as any statement would (a 503 to retry, the connection dropped).
            conn.execute(
                sa.text("SELECT pg_notify(:channel, p) FROM unnest(CAST(:ps AS text[])) AS p"),
                {"channel": CHANNEL, "ps": payloads(sorted(pending))},
            )
        else:
            conn.info.setdefault(_COMMITTED, set()).update(pending)

    @sa.event.listens_for(engine, "rollback")
    def _rolled_back(conn: Connection) -> None:
        if not conn.invalidated:  # a dropped connection's topics go with it (pool checkin)
            conn.info.pop(_PENDING, None)

    @sa.event.listens_for(engine.pool, "checkin")
    def _checked_in(_dbapi: Any, record: Any) -> None:
        if record is not None:
            record.info.pop(_PENDING, None)  # never committed
            _ring_committed(record.info)

    if not postgres:

        @sa.event.listens_for(engine, "begin")
        def _next_begin(conn: Connection) -> None:
            _ring_committed(conn.info)


def _ring_committed(info: dict[Any, Any]) -> None:
    for topic in info.pop(_COMMITTED, ()):
        HUB.ring(topic)
