"""A PostgreSQL restart under a running app: while it is down, requests fail fast with 503
and ``Retry-After``; once it is back, the pool reconnects and they succeed, with no
manual step and no app restart.

The test runs a PostgreSQL cluster of its own (:mod:`tests.pg_cluster`: it stops and
starts it).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.factories import conversation, identified
from tests.pg_cluster import Cluster, cluster_of_its_own
from warmline.actions.keys import create_key
from warmline.app import create_app
from warmline.config import Settings
from warmline.storage import schema as t
from warmline.storage.engine import make_engine
from warmline.storage.migrate import upgrade


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with cluster_of_its_own() as made:
        yield made


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
