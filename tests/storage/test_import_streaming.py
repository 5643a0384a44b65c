"""An import holds one batch at a time: however long the file, the reader is never more
than a batch ahead of what is stored (so a million rows are never in memory)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.factories import customer, make_event
from warmline.actions.imports import Item, import_items
from warmline.actions.ingest import ingest_events
from warmline.domain.imports.rejection import Rejection
from warmline.storage import schema as t
from warmline.storage.engine import bulk_writing


def test_the_reader_is_never_more_than_a_batch_ahead_of_the_store(engine: Engine) -> None:
    pulled = 0
    stored_batches = 0
    ahead: list[int] = []

    def items() -> Iterator[Item]:
        nonlocal pulled
        for n in range(250):
            pulled += 1
            ref = customer(("customer_number", f"S{n:05d}"))
            yield f"row {n}", make_event("customer.identified", id_=f"s-{n}", customer=ref), []

    def stored() -> None:
        nonlocal stored_batches
        stored_batches += 1
        ahead.append(pulled - 40 * stored_batches)

    report = import_items(engine, items(), batch_size=40, insight=False, progress=stored)
    assert report.statuses["accepted"] == 250 and stored_batches == 7
    assert max(ahead) <= 0  # each batch was stored before the next row was read
    again = import_items(engine, items(), batch_size=40, insight=False, dry_run=True)
    assert again.statuses["duplicate"] == 250 and again.dry_run


ANN = {"name": "Ann Lee", "date_of_birth": "1980-02-01", "postcode": "SW1A 1AA"}


def test_a_dry_run_counts_new_known_and_linked_customers_and_keeps_nothing(
    engine: Engine,
) -> None:
    known = make_event(
        "customer.identified",
        id_="crm-ann",
        customer=customer(("email", "ann@example.org", True), **ANN, address="10 Downing Street"),
    )
    assert import_items(engine, [("line 1", known, [])], insight=False).statuses["accepted"] == 1
    with engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(t.raw_events)).scalar()

    def row(n: int, ref: dict[str, Any]) -> Item:
        return f"line {n}", make_event("customer.identified", id_=f"r{n}", customer=ref), []

    rows: list[Item] = [
        row(2, customer(("email", "ann@example.org"))),  # Ann by her email: known
        # Ann by a phone never seen, with her name, birth date and postcode: linked.
        row(3, customer(("phone", "+44 20 7946 0999"), **ANN, address="10 Downing St")),
        row(4, customer(("email", "zed@example.net"), name="Zed Moor")),  # someone else: new
        ("line 5", Rejection("no identifier in the row", "row_without_identifier"), []),
    ]
    dry = import_items(engine, rows, insight=False, dry_run=True)
    assert dry.dry_run and dry.statuses == {"accepted": 3, "rejected": 1}
    assert dry.resolutions == {"known": 1, "linked": 1, "new": 1}
    assert dry.rejected == [("line 5", "no identifier in the row", "row_without_identifier")]
    with engine.connect() as conn:
        after = conn.execute(sa.select(sa.func.count()).select_from(t.raw_events)).scalar()
        people = conn.execute(sa.select(sa.func.count()).select_from(t.customers)).scalar()
    assert (after, people) == (before, 1)  # nothing kept

    real = import_items(engine, rows, insight=False)
    assert real.resolutions == dry.resolutions  # the dry run said exactly what happens


def test_a_dry_run_leaves_the_database_open_to_other_writers(engine: Engine) -> None:
    """While a dry run is half way through its file, the live service still stores events
    (on SQLite the dry run works on a snapshot; a transaction on the file itself would hold
    its only write lock until the end)."""
    live: list[str] = []

    def items() -> Iterator[Item]:
        for n in range(30):
            if n == 15:
                ref = customer(("email", "live@example.org"))
                event = make_event("customer.identified", id_="live-1", customer=ref)
                live.append(ingest_events(engine, [event], insight=False).items[0].status)
            ref = customer(("customer_number", f"D{n:03d}"))
            yield f"row {n}", make_event("customer.identified", id_=f"d-{n}", customer=ref), []

    dry = import_items(engine, items(), batch_size=10, insight=False, dry_run=True)
    assert dry.statuses == {"accepted": 30} and live == ["accepted"]
    with engine.connect() as conn:
        kept = conn.execute(sa.select(t.raw_events.c.event_id)).scalars().all()
    assert kept == ["live-1"]  # the live event stayed; the dry run kept nothing


def test_an_import_commits_each_batch_on_one_connection_held_to_the_end(engine: Engine) -> None:
    """The import takes one connection from the pool for the whole file, not one a batch,
    and each batch is its own transaction on it: what a batch stored is in for any other
    reader as soon as the batch is done (a crash loses at most the batch under way)."""
    checkouts = 0

    def count(*_: Any) -> None:
        nonlocal checkouts
        checkouts += 1

    sa.event.listen(engine, "checkout", count)
    seen: list[int] = []

    def items() -> Iterator[Item]:
        for n in range(100):
            ref = customer(("customer_number", f"H{n:05d}"))
            yield f"row {n}", make_event("customer.identified", id_=f"h-{n}", customer=ref), []

    def committed() -> None:
        # Read on another connection, outside the import's transactions.
        with engine.connect() as reader:
            seen.append(
                reader.execute(sa.select(sa.func.count()).select_from(t.raw_events)).scalar_one()
            )

    report = import_items(engine, items(), batch_size=25, insight=False, progress=committed)
    sa.event.remove(engine, "checkout", count)
    assert report.statuses["accepted"] == 100
    assert seen == [25, 50, 75, 100]
    assert checkouts == 1 + len(seen)  # the import's own, and the reader's after each batch


def test_a_bulk_writer_on_sqlite_has_a_larger_page_cache_only_while_held(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        with bulk_writing(engine) as conn:  # PostgreSQL: a plain writing connection
            assert conn.execute(sa.select(sa.literal(1))).scalar_one() == 1
        return
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        default = driver.execute("PRAGMA cache_size").fetchone()[0]
    with bulk_writing(engine, page_cache_mib=48) as conn:
        held = conn.connection.driver_connection
        assert held is not None
        assert held.execute("PRAGMA cache_size").fetchone()[0] == -48 * 1024
        with conn.begin():  # its transactions are writing ones, as any writer's
            conn.execute(sa.text("SELECT 1"))
    assert held.execute("PRAGMA cache_size").fetchone()[0] == default  # back in the pool as before
