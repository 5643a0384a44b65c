"""The audit writer's group commit: while other requests run, reads share a commit; a lone
read waits for no one; every row is committed in one chain."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.actions import audit
from warmline.actions.audit import AuditWriter, Receipt, verify_chain
from warmline.domain.access.roles import Actor, Role
from warmline.storage import schema as t

READER = Actor(key_id="key_reader", name="reader", role=Role.AGENT)


def row(n: int) -> dict[str, object]:
    return audit.audit_row(READER, "card.viewed", f"cus_{n}", {})


def later(writer: AuditWriter, receipt: Receipt, after: float) -> threading.Thread:
    def put() -> None:
        time.sleep(after)
        writer._queue.put(receipt)

    thread = threading.Thread(target=put)
    thread.start()
    return thread


def test_a_lone_read_is_committed_without_waiting_for_others(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "GATHER_SECONDS", 30.0)
    monkeypatch.setattr(audit, "others_reading", lambda: 1)  # this read's request alone
    writer = AuditWriter(engine)
    first, second = Receipt(row(1)), Receipt(row(2))
    arriving = later(writer, second, 0.3)
    assert writer._gather(first) == [first]
    arriving.join()


def test_reads_close_together_share_a_commit(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "GATHER_SECONDS", 1.0)  # the second arrives well inside
    monkeypatch.setattr(audit, "others_reading", lambda: 16)  # sixteen desks at it
    writer = AuditWriter(engine)
    first, second = Receipt(row(1)), Receipt(row(2))
    arriving = later(writer, second, 0.2)
    assert writer._gather(first) == [first, second]
    arriving.join()


def test_the_writer_stops_waiting_once_every_running_request_has_its_row_in(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "GATHER_SECONDS", 30.0)
    monkeypatch.setattr(audit, "others_reading", lambda: 2)  # two desks reading
    writer = AuditWriter(engine)
    first, second, third = Receipt(row(1)), Receipt(row(2)), Receipt(row(3))
    arriving = [later(writer, second, 0.2), later(writer, third, 1.5)]
    assert writer._gather(first) == [first, second]  # not kept for the third
    for thread in arriving:
        thread.join()


def test_rows_already_queued_share_a_commit_even_outside_a_server(engine: Engine) -> None:
    writer = AuditWriter(engine)  # no server: nobody counted as running
    first, *queued = (Receipt(row(n)) for n in range(4))
    for receipt in queued:
        writer._queue.put(receipt)
    assert writer._gather(first) == [first, *queued]


def test_every_read_of_a_busy_moment_is_committed_once_in_one_chain(engine: Engine) -> None:
    receipts: list[Receipt] = []
    lock = threading.Lock()

    def reader(base: int) -> None:
        for n in range(base, base + 25):
            receipt = audit.start_read(engine, READER, "card.viewed", f"cus_{n}", {})
            with lock:
                receipts.append(receipt)
            receipt.wait()

    readers = [threading.Thread(target=reader, args=(100 * i,)) for i in range(8)]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join()
    assert all(r.done.is_set() and r.error is None for r in receipts)
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(t.audit_log.c.customer_id).where(t.audit_log.c.action == "card.viewed")
        ).scalars()
        assert sorted(stored) == sorted(f"cus_{100 * i + n}" for i in range(8) for n in range(25))
    checked, broken = verify_chain(engine)
    assert broken is None and checked >= 200
