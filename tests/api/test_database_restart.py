"""A PostgreSQL restart under a running app: while it is down, requests fail fast with 503
and ``Retry-After``; once it is back, the pool reconnects and they succeed, with no
manual step and no app restart.

The test runs a PostgreSQL cluster of its own (it stops and starts it), from the same
installation ``scripts/with-postgres`` uses; it fails, not skips, when there is none.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.factories import conversation, identified
from warmline.actions.keys import create_key
from warmline.app import create_app
from warmline.config import Settings
from warmline.storage import schema as t
from warmline.storage.engine import make_engine
from warmline.storage.migrate import upgrade


class Cluster:
    """A throwaway PostgreSQL cluster that can be stopped and started again."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not found:
            pytest.fail("PostgreSQL is not installed (apt-get install -y postgresql)")
        self.bin = Path(found[-1])
        # Under /tmp itself: the postgres user cannot enter pytest's root-only folders.
        self.dir = Path(tempfile.mkdtemp(prefix="warmline-pg-restart."))
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        if self.as_pg:
            shutil.chown(self.dir, "postgres")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "wl")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/wl"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_pg, str(self.bin / tool), *args], check=True, capture_output=True)

    def start(self) -> None:
        options = f"-k {self.dir} -c listen_addresses=127.0.0.1 -p {self.port} -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.dir / "data"), "-w", "-l", str(self.dir / "log"),
            "-o", options, "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    made = Cluster()
    yield made
    with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
        made.stop()
    shutil.rmtree(made.dir, ignore_errors=True)


def test_a_postgresql_restart_is_survived_without_manual_steps(cluster: Cluster) -> None:
    engine = make_engine(cluster.url, connect_timeout=2)
    upgrade(engine)
    _, key = create_key(engine, role="integrator", name="restart", may_verify=True)
    headers = {"Authorization": f"Bearer {key}"}
    settings = Settings(database_url=cluster.url, insight=False)
    with TestClient(create_app(settings, engine)) as client:
        first = [identified(), *conversation("before")]
        assert client.post("/v1/events", json=first, headers=headers).status_code == 200

        cluster.stop()  # every pooled connection is now dead
        during = conversation("during")
        for _ in range(3):
            began = time.monotonic()
            response = client.post("/v1/events", json=during, headers=headers)
            assert response.status_code == 503, response.text
            assert response.json()["code"] == "database_unavailable"
            assert int(response.headers["retry-after"]) > 0
            assert time.monotonic() - began < 10, "a down database must fail fast"
        assert client.get("/readyz").status_code == 503

        cluster.start()
        # The same app, the same pool: it reconnects on its own.
        response = client.post("/v1/events", json=during, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["accepted"] == len(during)
        assert client.get("/healthz").json()["status"] == "ok"
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(t.raw_events)).scalar_one()
    assert count == len(first) + len(during)
    engine.dispose()
