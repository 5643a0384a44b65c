"""One ``LISTEN`` connection per server process on PostgreSQL: every notification on
:data:`~warmline.storage.live.CHANNEL` rings the process's hub, which wakes the streams of
this process that listen to its topics.

It starts with the first live stream of a database (:func:`ensure_listening`). A lost
connection is opened again with a growing pause (at most :data:`MAX_PAUSE` seconds); once
listening again it rings every stream, since news may have come meanwhile (each stream
reads what it missed from the database). On SQLite the server's own writers ring the hub
in process; only keys revoked from another process are looked for (:class:`RevocationWatch`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.storage import schema as t
from warmline.storage.live import CHANNEL, HUB, key_topic

log = logging.getLogger("warmline.live")
#: How long one wait for notifications lasts before the thread checks whether to stop.
WAIT_SECONDS = 1.0
#: The longest pause between two attempts to reconnect.
MAX_PAUSE = 5.0


class _Watcher:
    """A daemon thread running :meth:`_run` until :meth:`stop`."""

    def __init__(self, name: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()


class PgListener(_Watcher):
    """The thread that listens for one database."""

    def __init__(self, engine: Engine) -> None:
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        self._connect_args: tuple[list[Any], dict[str, Any]] = (list(cargs), dict(cparams))
        self.listening = threading.Event()
        super().__init__("warmline-listen")

    def _run(self) -> None:
        pause = 0.25
        while not self._stop.is_set():
            try:
                self._listen()
                pause = 0.25
            except psycopg.Error as exc:
                self.listening.clear()
                log.warning("live notifications interrupted (%s); reconnecting", exc)
                self._stop.wait(pause)
                pause = min(pause * 2, MAX_PAUSE)

    def _listen(self) -> None:
        cargs, cparams = self._connect_args
        options = {
            **cparams,
            "autocommit": True,
            "connect_timeout": 5,
            # A dead link is noticed by TCP keepalives, not only at the next notification.
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
        }
        with psycopg.connect(*cargs, **options) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            HUB.ring_all()  # anything sent before this connection listened is read now
            while not self._stop.is_set():
                for note in conn.notifies(timeout=WAIT_SECONDS):
                    for topic in note.payload.split("\n"):
                        HUB.ring(topic)
        self.listening.clear()


class RevocationWatch(_Watcher):
    """SQLite only: a key revoked by another process (``warmline keys revoke`` while the
    server runs) cannot ring this process's hub, so one thread per process looks for newly
    revoked keys every :data:`REVOKED_EVERY` seconds and ends their desks' streams. One
    small query for the whole process, not one per desk."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        super().__init__("warmline-revoked")

    def _run(self) -> None:
        k = t.api_keys
        rung: dict[str, dt.datetime] = {}
        while not self._stop.wait(REVOKED_EVERY):
            # A window, not a cursor: a revocation stamped just before an earlier-seen one
            # but committed after it is still found.
            since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=60)
            try:
                with self.engine.connect() as conn:
                    rows = conn.execute(
                        sa.select(k.c.id, k.c.revoked_at).where(k.c.revoked_at >= since)
                    ).all()
            except sa.exc.SQLAlchemyError:
                continue  # the database is busy or gone: next time
            for key_id, revoked_at in rows:
                if key_id not in rung:
                    rung[key_id] = revoked_at
                    HUB.ring(key_topic(key_id))
            rung = {key: at for key, at in rung.items() if at >= since}


#: How often, on SQLite, keys revoked by another process are looked for.
REVOKED_EVERY = 2.0

_lock = threading.Lock()
_listeners: dict[str, PgListener | RevocationWatch] = {}


def ensure_listening(engine: Engine) -> PgListener | None:
    """Start this process's listener for ``engine``'s database unless it runs (PostgreSQL;
    None on SQLite, where writers ring the hub themselves and only revocations by other
    processes are watched for)."""
    where = engine.url.render_as_string(hide_password=False)
    with _lock:
        listener = _listeners.get(where)
        if listener is None or not listener.alive():
            if engine.dialect.name == "postgresql":
                listener = PgListener(engine)
            else:
                listener = RevocationWatch(engine)
            _listeners[where] = listener
            listener.start()
        return listener if isinstance(listener, PgListener) else None


def stop_listening() -> None:
    """Stop every listener of this process (at shutdown)."""
    with _lock:
        for listener in _listeners.values():
            listener.stop()
        _listeners.clear()
