"""PostgreSQL faults with the server under load: a restart while integrations keep posting,
and a disk that fills up. Each runs a cluster of its own (:mod:`tests.pg_cluster`).

What must hold: while the database cannot serve, requests fail fast with 503, a stable
code and ``Retry-After`` (never a traceback); nothing acknowledged is lost and no batch
is half-stored; once it can serve again, the same server carries on by itself."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.api.test_database_faults import assert_unavailable
from tests.factories import conversation, identified
from tests.pg_cluster import Cluster, cluster_of_its_own
from tests.server_process import ServerProcess
from warmline.actions.keys import create_key
from warmline.app import create_app
from warmline.config import Settings
from warmline.storage import schema as t
from warmline.storage.engine import make_engine
from warmline.storage.migrate import upgrade

#: Integrations posting at once, as many as a busy contact centre's connectors.
POSTERS = 4


def stored_ids(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(sa.select(t.raw_events.c.event_id)).scalars())
    finally:
        engine.dispose()


class Posters:
    """Threads posting small batches of events as fast as the server takes them, keeping
    what each answer said: the ids of every acknowledged batch, and every refusal."""

    def __init__(self, server: ServerProcess, key: str) -> None:
        self.server, self.key = server, key
        self.stop = threading.Event()
        self.acknowledged: list[set[str]] = []
        self.sent: list[set[str]] = []
        self.answers: Counter[str] = Counter()
        self.slow: list[float] = []
        self.problems: list[str] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._post, args=(n,)) for n in range(POSTERS)]

    def __enter__(self) -> Posters:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def acknowledged_since(self, count: int) -> int:
        with self._lock:
            return len(self.acknowledged) - count

    def _post(self, poster: int) -> None:
        n = 0
        with self.server.client(self.key) as api:
            while not self.stop.is_set():
                n += 1
                batch = conversation(f"load-{poster}-{n}")
                ids = {event["id"] for event in batch}
                began = time.monotonic()
                try:
                    response = api.post("/v1/events", json=batch)
                except httpx.TransportError as exc:  # the server itself must stay up
                    with self._lock:
                        self.problems.append(f"transport error: {exc!r}")
                    continue
                took = time.monotonic() - began
                with self._lock:
                    self.sent.append(ids)
                    if response.status_code == 200:
                        self.answers["accepted"] += 1
                        self.acknowledged.append(ids)
                    elif response.status_code == 503:
                        self.answers[response.json()["code"]] += 1
                        if int(response.headers.get("retry-after", "0")) <= 0:
                            self.problems.append("a 503 without Retry-After")
                        if took > 10:
                            self.slow.append(took)
                    else:
                        self.problems.append(f"{response.status_code}: {response.text[:300]}")
                if response.status_code == 503:
                    time.sleep(0.05)  # a polite client backs off a little


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with cluster_of_its_own() as made:
        yield made


def wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_postgresql_restart_under_load_loses_nothing_acknowledged(
    cluster: Cluster, tmp_path: Path
) -> None:
    engine = make_engine(cluster.url)
    upgrade(engine)
    _, key = create_key(engine, role="integrator", name="load", may_verify=True)
    engine.dispose()
    server = ServerProcess(cluster.url, tmp_path / "server.log")
    server.start()
    try:
        with server.client(key) as api:
            assert api.post("/v1/events", json=[identified()]).status_code == 200
        with Posters(server, key) as posters:
            wait_for(lambda: posters.acknowledged_since(0) >= 20, 60, "no load before")
            cluster.stop()  # every pooled connection dies mid-load
            down = len(posters.acknowledged)
            wait_for(lambda: posters.answers["database_unavailable"] >= 5, 60, "no 503s")
            time.sleep(1)
            cluster.start()
            back = len(posters.acknowledged)
            wait_for(lambda: posters.acknowledged_since(back) >= 20, 60, "no recovery")
        with server.client(key) as api:
            assert api.get("/readyz").status_code == 200
    finally:
        server.stop()
    assert not posters.problems, posters.problems[:5]
    assert not posters.slow, f"a down database must fail fast, took {max(posters.slow):.1f}s"
    # Refused while down, with the code that says why; accepted before and after.
    assert posters.answers["database_unavailable"] >= 5
    assert down >= 20 and len(posters.acknowledged) >= back + 20
    stored = stored_ids(cluster.url)
    for ids in posters.acknowledged:
        assert ids <= stored, "an acknowledged batch was lost"
    for ids in posters.sent:
        # A batch whose answer was lost with the connection may be stored; never in part.
        assert ids <= stored or not (ids & stored), "a batch was half-stored"


def test_a_full_postgresql_disk_gives_503_and_ingest_resumes_when_space_returns() -> None:
    with cluster_of_its_own(disk_megabytes=24) as cluster:
        engine = make_engine(cluster.url)
        try:
            fill_and_free(cluster, engine)
        finally:
            engine.dispose()


def fill_and_free(cluster: Cluster, engine: Any) -> None:
    upgrade(engine)
    _, key = create_key(engine, role="integrator", name="disk", may_verify=True)
    headers = {"Authorization": f"Bearer {key}"}
    # Fill the small disk the tables live on, as other data would, until it refuses.
    cluster.psql("CREATE TABLE filler (junk text)", "wl")
    cluster.psql("ALTER TABLE filler ALTER COLUMN junk SET STORAGE PLAIN", "wl")
    refused = ""
    for _ in range(200):
        try:
            cluster.psql(
                "INSERT INTO filler SELECT repeat(md5(g::text), 60) "
                "FROM generate_series(1, 2000) g",
                "wl",
            )
        except RuntimeError as exc:
            refused = str(exc)
            break
    assert "No space left on device" in refused
    big = [identified()] + [event for n in range(40) for event in conversation(f"d-{n}")]
    for event in big[1:]:
        if event["type"] == "message.posted":
            event["data"]["text"] = "x" * 3000 + event["id"]
    settings = Settings(database_url=cluster.url, insight=False)
    with TestClient(create_app(settings, engine)) as client:
        response = client.post("/v1/events", json=big, headers=headers)
        assert_unavailable(response, "database_full")
        assert not stored_ids(cluster.url), "nothing of the refused batch was half-written"
        assert client.get("/healthz").status_code == 200

        cluster.psql("DROP TABLE filler", "wl")  # an operator frees space
        response = client.post("/v1/events", json=big, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["accepted"] == len(big)
    assert stored_ids(cluster.url) == {event["id"] for event in big}
