"""A contact's start leaves its rollups and risk scores due (recorded in its own transaction),
and they are right once the deferred work has run: equal to a rebuild, on both backends."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.factories import Keys, customer, dave_starts, ended, identified, message, started
from warmline.actions.contacts import contact_start, start_contact
from warmline.actions.derived import bring_up_to_date
from warmline.actions.erase import erase_customer
from warmline.actions.ingest import ingest_events
from warmline.actions.metrics.rebuild import rollups_agree
from warmline.actions.metrics.refresh import refresh_metrics
from warmline.actions.metrics.touched import Touched
from warmline.actions.risk import rescore_in, risk_policy
from warmline.domain.access.roles import LOCAL_ADMIN
from warmline.domain.identity.identifiers import Identifier
from warmline.errors import Conflict
from warmline.storage import metrics_queries as mq
from warmline.storage import schema as t
from warmline.storage.engine import writing

MILES_IDS = (("email", "miles@example.org", True), ("phone", "+44 20 7946 0958", True))
MILES = customer(*MILES_IDS, name="Miles Okafor")


def _seed(engine: Engine, now: dt.datetime) -> str:
    """Miles, whose chat yesterday left his declined card unsolved (a risk signal)."""
    at = (now - dt.timedelta(days=1)).isoformat()
    batch = ingest_events(
        engine,
        [
            identified(MILES),
            started("chat-1", "chat", agent_id="ann", time=at),
            message("chat-1", "My card keeps being declined and nobody helps", time=at),
            ended("chat-1", outcome="unresolved", reason="card_declined", time=at),
        ],
    )
    miles = batch.items[0].customer_id
    assert miles
    return miles


def _due(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(t.derived_due)).scalar_one())


def _risk(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.customer_risk)).mappings().all()
    return {r["customer_id"]: {k: v for k, v in r.items() if k != "computed_at"} for r in rows}


def _computed_at(engine: Engine, customer_id: str) -> dt.datetime:
    r = t.customer_risk
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(r.c.computed_at).where(r.c.customer_id == customer_id)
        ).scalar_one()
    return found if found.tzinfo else found.replace(tzinfo=dt.UTC)


def _risk_recomputed(engine: Engine) -> dict[str, dict[str, Any]]:
    """Every risk score recomputed from the memory, in a transaction rolled back."""
    with writing(engine) as conn:
        transaction = conn.begin()
        try:
            rescore_in(conn, risk_policy(), now=dt.datetime.now(dt.UTC), notify=False)
            rows = conn.execute(sa.select(t.customer_risk)).mappings().all()
        finally:
            transaction.rollback()
    return {r["customer_id"]: {k: v for k, v in r.items() if k != "computed_at"} for r in rows}


def _call(engine: Engine, contact_id: str, now: dt.datetime) -> None:
    dave_starts(engine, "voice", Identifier("phone", "+44 20 7946 0958"), contact_id, now)


def test_a_contacts_rollups_and_risk_are_right_once_the_deferred_work_runs(
    engine: Engine,
) -> None:
    now = dt.datetime.now(dt.UTC)
    miles = _seed(engine, now)
    assert _due(engine) == 0 and rollups_agree(engine)
    risk_before = _risk(engine)
    assert risk_before[miles]["owner"] == "ann"
    with engine.connect() as conn:
        rollups_before = mq.rollup_table(conn)
    computed_before = _computed_at(engine, miles)

    _call(engine, "call-1", now)

    # The start committed (the desk has its push) with its derived figures due, not done:
    # the rollups do not count the call yet, and the risk score is the one from before.
    with engine.connect() as conn:
        assert conn.execute(sa.select(t.desk_pushes.c.agent)).scalars().all() == ["dave"]
    assert _due(engine) == 1
    assert not rollups_agree(engine)
    assert _risk(engine) == risk_before and _computed_at(engine, miles) == computed_before

    assert bring_up_to_date(engine) == 1
    assert _due(engine) == 0
    assert rollups_agree(engine)
    after = _risk(engine)
    assert after == _risk_recomputed(engine)
    # Recomputed by the deferred work (the score itself is the same: a call begun is no sign).
    assert _computed_at(engine, miles) > computed_before
    with engine.connect() as conn:
        assert mq.rollup_table(conn) != rollups_before  # the call is counted now
    assert bring_up_to_date(engine) == 0  # nothing left: one indexed read


def test_several_starts_are_brought_up_to_date_together_and_agree_with_a_rebuild(
    engine: Engine,
) -> None:
    now = dt.datetime.now(dt.UTC)
    _seed(engine, now)
    ingest_events(engine, [identified(customer(("email", "ann@example.org", True), name="Ann"))])
    for n in range(3):
        _call(engine, f"call-{n}", now + dt.timedelta(minutes=n))
    start_contact(
        engine,
        contact_start(
            channel="chat",
            identifiers=[Identifier("email", "ann@example.org")],
            agent_id="erin",
            contact_id="chat-ann",
            now=now,
        ),
    )
    assert _due(engine) == 4
    assert bring_up_to_date(engine) == 4
    assert rollups_agree(engine) and _risk(engine) == _risk_recomputed(engine)


def test_a_start_that_fails_leaves_nothing_due(engine: Engine) -> None:
    now = dt.datetime.now(dt.UTC)
    _seed(engine, now)
    _call(engine, "call-1", now)
    assert _due(engine) == 1
    with pytest.raises(Conflict):
        _call(engine, "call-1", now)  # the same contact again: rolled back whole
    assert _due(engine) == 1
    bring_up_to_date(engine)
    assert _due(engine) == 0 and rollups_agree(engine)


def test_the_server_brings_them_up_to_date_by_itself(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    """No reader asks: the server's background work does it just after the start."""
    now = dt.datetime.now(dt.UTC)
    _seed(engine, now)
    response = client.post(
        "/v1/contacts",
        json={
            "channel": "voice",
            "customer": {"identifiers": [{"kind": "phone", "value": "+44 20 7946 0958"}]},
            "agent_id": "dave",
        },
        headers=keys.agent,
    )
    assert response.status_code == 201, response.text
    deadline = time.monotonic() + 30
    while _due(engine) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _due(engine) == 0
    assert rollups_agree(engine) and _risk(engine) == _risk_recomputed(engine)


def test_an_erasure_crossing_the_rollups_pass_goes_again_whole(engine: Engine) -> None:
    """The rollups pass takes a customer's metrics lock first and their rows after; an
    erasure deletes the rows first and takes the lock after. On PostgreSQL, when they cross,
    the database rolls the erasure back (it waited first, so it finds the deadlock) and the
    erasure goes again once the pass has committed; on SQLite, one writer at a time, it
    waits for the pass."""
    now = dt.datetime.now(dt.UTC)
    miles = _seed(engine, now)
    i = t.interactions
    erased: dict[str, Any] = {}

    def erase() -> None:
        try:
            erased["removed"] = erase_customer(engine, miles, LOCAL_ADMIN, "asked")
        except Exception as exc:  # the assertion below shows it
            erased["error"] = exc

    with writing(engine) as rollups, engine.connect() as watcher:
        transaction = rollups.begin()
        refresh_metrics(rollups, Touched(customers={miles}))  # the pass holds Miles's lock
        eraser = threading.Thread(target=erase)
        eraser.start()
        if engine.dialect.name == "postgresql":
            # The erasure has deleted Miles's rows and waits for his metrics lock ...
            waiting = sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            )
            deadline = time.monotonic() + 10
            while not watcher.execute(waiting).scalar_one():
                assert time.monotonic() < deadline, "the erasure never waited for the lock"
                watcher.commit()
                time.sleep(0.02)
            # ... when the pass goes on to his rows: it waits for the erasure, which finds
            # the deadlock and rolls back, so the pass's write goes through.
        rollups.execute(i.update().where(i.c.customer_id == miles).values(summary="rolled up"))
        transaction.commit()
    eraser.join(30)
    assert "error" not in erased, erased.get("error")
    assert erased["removed"]["interactions"] == 1
    with engine.connect() as conn:
        left = conn.execute(sa.select(sa.func.count()).where(i.c.customer_id == miles))
        assert left.scalar_one() == 0
        status = conn.execute(sa.select(t.customers.c.status).where(t.customers.c.id == miles))
        assert status.scalar_one() == "erased"
