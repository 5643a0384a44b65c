"""A database that is down, read-only or full: a clear 503 with a stable code and
``Retry-After``, never a traceback; nothing half-written; ingest resumes when it can."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.factories import Keys, conversation, identified
from warmline.app import create_app
from warmline.config import Settings
from warmline.storage import schema as t
from warmline.storage.engine import make_engine


def stored_events(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(t.raw_events)).scalar_one()


def assert_unavailable(response: Any, code: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert body["detail"] and body["hint"]
    assert int(response.headers["retry-after"]) > 0
    assert "Traceback" not in response.text and "sqlite3" not in response.text


@pytest.fixture
def read_only_engine(db_url: str, backend: str, keys: Keys) -> Iterator[Engine]:
    """The same memory, opened read-only (an SQLite file opened so, a PostgreSQL session
    whose transactions are read-only, as on a standby)."""
    if backend == "sqlite":
        path = sa.make_url(db_url).database
        engine = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    else:
        engine = sa.create_engine(
            db_url, connect_args={"options": "-c default_transaction_read_only=on"}
        )
    yield engine
    engine.dispose()


def test_a_read_only_database_refuses_writes_with_503(
    settings: Settings, read_only_engine: Engine, engine: Engine, keys: Keys
) -> None:
    with TestClient(create_app(settings, read_only_engine)) as client:
        response = client.post("/v1/events", json=conversation("ro-1"), headers=keys.integrator)
        assert_unavailable(response, "database_read_only")
        # An audited read cannot write its audit row, so it is refused too, the same way.
        response = client.get(
            "/v1/customers?identifier=email:nobody@example.org", headers=keys.agent
        )
        assert_unavailable(response, "database_read_only")
        # Liveness needs no write.
        assert client.get("/healthz").json()["status"] == "ok"
    assert stored_events(engine) == 0


def test_a_card_whose_audit_row_cannot_be_written_is_not_shown(
    settings: Settings, read_only_engine: Engine, engine: Engine, keys: Keys
) -> None:
    with TestClient(create_app(settings, engine)) as client:
        response = client.post("/v1/events", json=[identified()], headers=keys.integrator)
        cid = response.json()["results"][0]["customer_id"]
    with engine.connect() as conn:
        audited = conn.execute(sa.select(sa.func.count()).select_from(t.audit_log)).scalar_one()
    with TestClient(create_app(settings, read_only_engine)) as client:
        # The card is read while its audit row commits; that commit fails: no card.
        response = client.get(f"/v1/customers/{cid}/card", headers=keys.agent)
        assert_unavailable(response, "database_read_only")
        assert "customer" not in response.json()
    with engine.connect() as conn:
        after = conn.execute(sa.select(sa.func.count()).select_from(t.audit_log)).scalar_one()
    assert after == audited


def test_a_full_disk_gives_503_and_ingest_resumes_when_space_returns(
    tmp_path: Any, sqlite_template: Any, keys_for: Any
) -> None:
    # SQLite's max_page_count caps the file as a full disk would: writes fail with
    # SQLITE_FULL. Raising it again is space returning.
    import shutil

    path = tmp_path / "full.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    limit = {"pages": 0}
    engine = make_engine(url, sqlite_synchronous="OFF")

    @sa.event.listens_for(engine, "connect")
    def _cap(dbapi_conn: Any, _: Any) -> None:
        if limit["pages"]:
            dbapi_conn.execute(f"PRAGMA max_page_count={limit['pages']}")

    headers = keys_for(engine)
    with engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
    engine.dispose()
    limit["pages"] = pages  # not one page more than it has now
    settings = Settings(database_url=url, sqlite_synchronous="OFF", insight=False)
    big = [identified()] + [event for n in range(40) for event in conversation(f"f-{n}")]
    for event in big[1:]:
        if event["type"] == "message.posted":
            event["data"]["text"] = "x" * 3000 + event["id"]
    with TestClient(create_app(settings, engine)) as client:
        response = client.post("/v1/events", json=big, headers=headers)
        assert_unavailable(response, "database_full")
        assert stored_events(engine) == 0, "nothing of the refused batch was half-written"

        limit["pages"] = 0  # space returns
        engine.dispose()
        response = client.post("/v1/events", json=big, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["accepted"] == len(big)
    assert stored_events(engine) == len(big)
    engine.dispose()


def test_a_database_that_is_down_gives_503_not_a_traceback() -> None:
    # Nothing listens on port 1: every request that needs the database fails fast.
    url = "postgresql+psycopg://warmline@127.0.0.1:1/warmline"
    settings = Settings(database_url=url, insight=False, database_connect_timeout_seconds=2)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.post(
            "/v1/events", json=[identified()], headers={"Authorization": "Bearer wl_x_y"}
        )
        assert_unavailable(response, "database_unavailable")
        response = client.get("/v1/customers/c1", headers={"Authorization": "Bearer wl_x_y"})
        assert_unavailable(response, "database_unavailable")
        assert response.headers["x-request-id"]


@pytest.fixture
def keys_for() -> Any:
    from warmline.actions.keys import create_key

    def make(engine: Engine) -> dict[str, str]:
        _, key = create_key(engine, role="integrator", name="fault-test", may_verify=True)
        return {"Authorization": f"Bearer {key}"}

    return make
