"""kill -9 of ``warmline serve`` in the middle of a stream of batches: after a restart every
acknowledged event is there, whole, and no batch is half-stored."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.factories import at, ended, message, started
from warmline.actions.keys import create_key
from warmline.storage import schema as t

WARMLINE = Path(sys.executable).parent / "warmline"
BATCH_MESSAGES = 8


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """``warmline serve`` as a child process on ``db_url``."""

    def __init__(self, db_url: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = os.environ | {
            "WARMLINE_DATABASE_URL": db_url,
            "WARMLINE_INSIGHT": "false",
            "WARMLINE_SQLITE_SYNCHRONOUS": "FULL",
            "WARMLINE_PORT": str(self.port),
        }
        self.log = log
        with log.open("ab") as handle:
            self.process = subprocess.Popen(
                [str(WARMLINE), "serve"], env=env, stdout=handle, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server was not ready within 60 s:\n{log.read_text()}")

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def batch(n: int) -> list[dict[str, Any]]:
    """One interaction: started, eight messages with texts of their own, ended."""
    interaction = f"crash-{n}"
    ref = {"identifiers": [{"kind": "email", "value": f"c{n % 7}@example.org", "verified": True}]}
    events = [started(interaction, ref=ref, id_=f"{interaction}-s", time=at(n))]
    events += [
        message(interaction, f"batch {n} line {k}", id_=f"{interaction}-m{k}", time=at(n + 0.1))
        for k in range(BATCH_MESSAGES)
    ]
    events.append(ended(interaction, id_=f"{interaction}-e", time=at(n + 0.5)))
    return events


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    started_servers: list[Server] = []
    yield started_servers
    for server in started_servers:
        server.stop()


def test_kill_9_loses_no_acknowledged_event_and_leaves_no_half_batch(
    db_url: str, engine: Engine, tmp_path: Path, servers: list[Server]
) -> None:
    _, key = create_key(engine, role="integrator", name="crash-test", may_verify=True)
    headers = {"Authorization": f"Bearer {key}"}
    log = tmp_path / "server.log"
    servers.append(Server(db_url, log))
    first = servers[0]

    acknowledged: list[int] = []
    unanswered: list[int] = []
    stop = threading.Event()

    def post_batches() -> None:
        with httpx.Client(base_url=first.url, headers=headers, timeout=30) as client:
            n = 0
            while not stop.is_set():
                try:
                    response = client.post("/v1/events", json=batch(n))
                except httpx.TransportError:
                    unanswered.append(n)  # the server died with this batch in flight
                    return
                assert response.status_code == 200, response.text
                assert response.json()["accepted"] == BATCH_MESSAGES + 2
                acknowledged.append(n)
                n += 1

    poster = threading.Thread(target=post_batches)
    poster.start()
    try:
        while len(acknowledged) < 20 and poster.is_alive():
            time.sleep(0.005)
        first.kill()  # SIGKILL: no shutdown, no flush, whatever was in flight is cut
    finally:
        stop.set()
        poster.join(timeout=30)
    assert len(acknowledged) >= 20
    assert first.process.returncode == -signal.SIGKILL

    # Restart on the same database: it starts and is ready without any manual step.
    servers.append(Server(db_url, log))
    again = servers[1]

    with engine.connect() as conn:
        stored = {row.event_id for row in conn.execute(sa.select(t.raw_events.c.event_id))}
        texts = set(conn.execute(sa.select(t.messages.c.text)).scalars())
        interactions = {
            row.external_id: row
            for row in conn.execute(
                sa.select(
                    t.interactions.c.external_id,
                    t.interactions.c.message_count,
                    t.interactions.c.status,
                )
            )
        }
    for n in acknowledged:
        ids = {event["id"] for event in batch(n)}
        assert ids <= stored, f"acknowledged batch {n} lost {sorted(ids - stored)}"
    sent = acknowledged + unanswered
    for n in sent:
        ids = {event["id"] for event in batch(n)}
        assert ids <= stored or not ids & stored, f"batch {n} is half-stored"
        if ids <= stored:  # a stored event is whole: projected, not only kept raw
            assert {f"batch {n} line {k}" for k in range(BATCH_MESSAGES)} <= texts
            row = interactions[f"crash-{n}"]
            assert row.message_count == BATCH_MESSAGES and row.status == "ended"
    assert len(stored) == len(texts) / BATCH_MESSAGES * (BATCH_MESSAGES + 2)

    # The client retries what it never heard back about: stored once, never twice.
    with httpx.Client(base_url=again.url, headers=headers, timeout=30) as client:
        for n in unanswered:
            response = client.post("/v1/events", json=batch(n))
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["accepted"] + body["duplicates"] == BATCH_MESSAGES + 2
            assert body["accepted"] in (0, BATCH_MESSAGES + 2)
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(t.raw_events)).scalar_one()
    assert total == len(sent) * (BATCH_MESSAGES + 2)
