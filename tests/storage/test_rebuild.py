"""Rebuilding the projections from the raw log gives the same memory, row for row."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.factories import MILES, at, conversation, customer, identified, make_event, message
from warmline.actions.ingest import ingest_events
from warmline.actions.rebuild import rebuild_projections
from warmline.storage import schema as t


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(r)
                for r in conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            ]
            for table in (*t.PROJECTIONS, t.raw_events)
        }


def test_rebuild_gives_the_same_memory(engine: Engine) -> None:
    batches = [
        [message("late-1", "hello?", time=at(5))],  # waits for its interaction
        [identified(), *conversation("chat-1"), *conversation("call-1", "voice", 20)],
        [
            make_event(
                "interaction.started", customer=MILES, interaction_id="late-1", channel="app"
            ),
            make_event(
                "case.opened",
                customer=MILES,
                case_id="case-1",
                title="Declined",
                interaction_id="call-1",
            ),
            make_event(
                "commitment.made",
                case_id="case-1",
                commitment_id="c1",
                text="Call back",
                due_at=at(120),
            ),
            identified(
                customer(("email", "miles@example.org"), name="Miles O.", language="en"),
                time=at(50),
            ),
            make_event(
                "activity",
                customer=customer(("email", "ann@example.org")),
                name="loan.approved",
                attributes={"purpose": "car"},
            ),
        ],
        [make_event("case.updated", case_id="case-1", status="escalated", note="tier 2")],
    ]
    for batch in batches:
        ingest_events(engine, batch)
    before = snapshot(engine)
    assert len(before["customers"]) == 2 and len(before["messages"]) == 5
    assert rebuild_projections(engine, batch_size=2) == sum(len(b) for b in batches)
    assert snapshot(engine) == before
