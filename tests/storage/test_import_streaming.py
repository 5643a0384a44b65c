"""An import holds one batch at a time: however long the file, the reader is never more
than a batch ahead of what is stored (so a million rows are never in memory)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.engine import Engine

from tests.factories import customer, make_event
from warmline.actions.imports import Item, import_items


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
