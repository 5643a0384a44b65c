"""One ``LISTEN`` connection per server process on PostgreSQL: every notification on
:data:`~warmline.storage.live.CHANNEL` rings the process's hub, which wakes the streams of
this process that listen to its topics.

It starts with the first live stream of a database (:func:`ensure_listening`). A lost
connection is opened again with a growing pause (at most :data:`MAX_PAUSE` seconds); once
listening again it rings every stream, since news may have come meanwhile (each stream
reads what it missed from the database). SQLite needs none of this: its writers ring the
hub in process.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import psycopg
from sqlalchemy.engine import Engine

from warmline.storage.live import CHANNEL, HUB

log = logging.getLogger("warmline.live")
#: How long one wait for notifications lasts before the thread checks whether to stop.
WAIT_SECONDS = 1.0
#: The longest pause between two attempts to reconnect.
MAX_PAUSE = 5.0


class PgListener:
    """The thread that listens for one database."""

    def __init__(self, engine: Engine) -> None:
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        self._connect_args: tuple[list[Any], dict[str, Any]] = (list(cargs), dict(cparams))
        self.listening = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="warmline-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()

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


_lock = threading.Lock()
_listeners: dict[str, PgListener] = {}


def ensure_listening(engine: Engine) -> PgListener | None:
    """Start this process's listener for ``engine``'s database unless it runs (PostgreSQL;
    None on SQLite, where writers ring the hub themselves)."""
    if engine.dialect.name != "postgresql":
        return None
    where = engine.url.render_as_string(hide_password=False)
    with _lock:
        listener = _listeners.get(where)
        if listener is None or not listener.alive():
            listener = _listeners[where] = PgListener(engine)
            listener.start()
        return listener


def stop_listening() -> None:
    """Stop every listener of this process (at shutdown)."""
    with _lock:
        for listener in _listeners.values():
            listener.stop()
        _listeners.clear()
