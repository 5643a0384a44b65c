"""Several server processes on one PostgreSQL memory: a desk connected to one worker hears
of what another worker wrote, through LISTEN/NOTIFY, without polling; a reconnecting desk
gets exactly what it missed (``Last-Event-ID``); ``warmline serve --workers 2`` serves."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.cli.test_crash import Server, free_port
from tests.factories import message, started
from warmline.actions.keys import create_key
from warmline.storage import schema as t

WARMLINE = Path(sys.executable).parent / "warmline"
WAIT = 30.0  # bounds a hang on a loaded machine; nothing here measures speed


@pytest.fixture
def backend() -> str:
    return "postgresql"  # several workers need PostgreSQL (SQLite: see the last test)


@dataclass
class Frame:
    event: str
    id: str | None
    data: dict[str, Any]


@dataclass
class Stream:
    """An SSE stream read by a thread of its own, frame by frame, into a queue."""

    url: str
    cookies: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)
    frames: queue.Queue[Frame | None] = field(default_factory=queue.Queue)
    opened: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Stream:
        threading.Thread(target=self._read, daemon=True).start()
        assert self.opened.wait(WAIT), "the stream did not open"
        return self

    def _read(self) -> None:
        try:
            self._frames()
        except httpx.HTTPError:
            if not self.stop.is_set():
                raise
        finally:
            self.frames.put(None)

    def _frames(self) -> None:
        with (
            httpx.Client(cookies=self.cookies, timeout=httpx.Timeout(5, read=None)) as client,
            client.stream("GET", self.url, headers=self.headers) as response,
        ):
            assert response.status_code == 200, response.read()
            self.opened.set()
            event, ident, data = "message", None, ""
            for line in response.iter_lines():
                if self.stop.is_set():
                    break
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("id: "):
                    ident = line[4:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif line == "" and data:
                    self.frames.put(Frame(event, ident, orjson.loads(data)))
                    event, ident, data = "message", None, ""

    def next(self, timeout: float = WAIT) -> Frame | None:
        return self.frames.get(timeout=timeout)

    def nothing_for(self, seconds: float) -> bool:
        try:
            self.frames.get(timeout=seconds)
        except queue.Empty:
            return True
        return False

    def close(self) -> None:
        self.stop.set()


def sign_in(server: Server, key: str) -> dict[str, str]:
    response = httpx.post(f"{server.url}/desk/sign-in", data={"key": key}, timeout=WAIT)
    assert response.status_code == 303, response.text
    return {"wl_desk": response.cookies["wl_desk"]}


def start_contact(server: Server, key: str, contact_id: str) -> None:
    response = httpx.post(
        f"{server.url}/v1/contacts",
        headers={"Authorization": f"Bearer {key}"},
        json={
            "channel": "voice",
            "customer": {"identifiers": [{"kind": "phone", "value": "+447700900123"}]},
            "agent_id": "dave",
            "contact_id": contact_id,
        },
        timeout=WAIT,
    )
    assert response.status_code == 201, response.text


@pytest.fixture
def two_workers(db_url: str, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """Worker A and worker B: two server processes on the same memory, as a load balancer
    sees them."""
    started_servers: list[Server] = []
    try:
        for name in ("a", "b"):
            started_servers.append(Server(db_url, tmp_path / f"worker-{name}.log"))
        yield started_servers[0], started_servers[1]
    finally:
        for server in started_servers:
            server.stop()


def test_a_contact_posted_to_one_worker_pops_on_a_desk_connected_to_another(
    engine: Engine, two_workers: tuple[Server, Server]
) -> None:
    a, b = two_workers
    _, integrator = create_key(engine, role="integrator", name="pbx", may_verify=True)
    _, agent = create_key(engine, role="agent", name="dave")
    cookies = sign_in(b, agent)

    desk = Stream(f"{b.url}/desk/stream", cookies).start()
    start_contact(a, integrator, "call-1")
    first = desk.next()
    assert first is not None and first.event == "contact", first
    assert first.id == str(first.data["push_id"])
    assert "contact" in first.data["html"]
    desk.close()

    # While the desk is away, two more contacts come in through worker A.
    start_contact(a, integrator, "call-2")
    start_contact(a, integrator, "call-3")
    with engine.connect() as conn:
        missed = (
            conn.execute(
                sa.select(t.desk_pushes.c.id)
                .where(t.desk_pushes.c.agent == "dave", t.desk_pushes.c.id > int(first.id or 0))
                .order_by(t.desk_pushes.c.id)
            )
            .scalars()
            .all()
        )
    assert len(missed) == 2

    # The browser reconnects (to worker B again) with the last id it had: exactly the two.
    again = Stream(f"{b.url}/desk/stream", cookies, {"Last-Event-ID": str(first.id)}).start()
    got = [again.next(), again.next()]
    assert [f.id for f in got if f is not None] == [str(i) for i in missed]
    assert again.nothing_for(1.5)  # nothing else: no push sent twice
    start_contact(a, integrator, "call-4")
    fourth = again.next()
    assert fourth is not None and fourth.event == "contact"
    assert int(fourth.id or 0) > missed[-1]
    again.close()


def test_the_desk_stream_waits_for_a_notification_instead_of_polling(
    engine: Engine, two_workers: tuple[Server, Server]
) -> None:
    """A push written with no announcement stays unseen until one comes: the stream reads
    the database when told to, not on a timer."""
    a, b = two_workers
    _, integrator = create_key(engine, role="integrator", name="pbx", may_verify=True)
    _, agent = create_key(engine, role="agent", name="dave")
    desk = Stream(f"{b.url}/desk/stream", sign_in(b, agent)).start()
    start_contact(a, integrator, "call-1")  # once this pops, worker B is listening
    popped = desk.next()
    assert popped is not None and popped.event == "contact"
    row = {
        "agent": "dave",
        "kind": "contact",
        "customer_id": None,
        "interaction_id": None,
        "channel": "voice",
        "detail": {"contact_id": "quiet", "recognised": False, "candidates": []},
        "at": sa.func.now(),
    }
    with engine.begin() as conn:
        conn.execute(t.desk_pushes.insert().values(**row))
    assert desk.nothing_for(3.0)
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_notify('warmline_live', 'desk:dave')"))
    popped = desk.next()
    assert popped is not None and popped.event == "contact"
    desk.close()


def test_live_messages_and_sign_out_cross_workers(
    engine: Engine, two_workers: tuple[Server, Server]
) -> None:
    a, b = two_workers
    _, integrator = create_key(engine, role="integrator", name="pbx", may_verify=True)
    _, agent = create_key(engine, role="agent", name="dave")
    api = {"Authorization": f"Bearer {integrator}"}
    ref = {"identifiers": [{"kind": "email", "value": "ann@example.org", "verified": True}]}
    response = httpx.post(
        f"{a.url}/v1/events", headers=api, json=[started("chat-9", ref=ref)], timeout=WAIT
    )
    assert response.status_code in (200, 202), response.text
    with engine.connect() as conn:
        interaction = conn.execute(sa.select(t.interactions.c.id)).scalar_one()
    cookies = sign_in(b, agent)
    watch = Stream(f"{b.url}/desk/conversation/{interaction}/stream", cookies).start()
    response = httpx.post(
        f"{a.url}/v1/events",
        headers=api,
        json=[message("chat-9", "my card was declined twice", id_="m-1")],
        timeout=WAIT,
    )
    assert response.status_code in (200, 202), response.text
    said = watch.next()
    assert said is not None and said.event == "message", said
    assert "declined twice" in said.data["html"]
    watch.close()

    desk = Stream(f"{b.url}/desk/stream", cookies).start()
    # Signing out through worker A ends the stream held by worker B at once.
    httpx.post(f"{a.url}/desk/sign-out", cookies=cookies, timeout=WAIT)
    frames = []
    while (item := desk.next()) is not None:
        frames.append(item.event)
    assert frames[-1] == "signed_out"


def test_serve_with_two_workers_answers_and_pushes(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    _, integrator = create_key(engine, role="integrator", name="pbx", may_verify=True)
    _, agent = create_key(engine, role="agent", name="dave")
    port = free_port()
    env = os.environ | {
        "WARMLINE_DATABASE_URL": db_url,
        "WARMLINE_INSIGHT": "false",
        "WARMLINE_PORT": str(port),
        "WARMLINE_LOG_FORMAT": "text",
    }
    log = tmp_path / "serve.log"
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [str(WARMLINE), "serve", "--workers", "2"], env=env, stdout=handle, stderr=handle
        )
    server = Server.__new__(Server)
    server.url, server.process, server.log = f"http://127.0.0.1:{port}", process, log
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        desk = Stream(f"{server.url}/desk/stream", sign_in(server, agent)).start()
        for n in range(4):  # whichever worker takes each contact, the desk hears of it
            start_contact(server, integrator, f"call-{n}")
            popped = desk.next()
            assert popped is not None and popped.event == "contact"
        desk.close()
        with engine.connect() as conn:
            pids = conn.execute(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'")
            ).scalar_one()
        assert pids >= 1
    finally:
        server.stop()
    assert "2 workers" in log.read_text()


def test_several_workers_on_sqlite_are_refused_with_what_to_do(tmp_path: Path) -> None:
    env = os.environ | {"WARMLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}
    done = subprocess.run(
        [str(WARMLINE), "serve", "--workers", "2"], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 2
    said = (done.stdout + done.stderr).decode()
    assert "needs PostgreSQL" in said and "one worker" in said
