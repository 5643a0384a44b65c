"""The rollups kept at ingest agree exactly with ``warmline metrics rebuild``: after a
simulated history arriving out of order in batches of any size, after merges, undos, an
erasure and retention."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.actions.erase import erase_customer
from warmline.actions.ingest import ingest_events
from warmline.actions.merges import merge_customers, undo_merge
from warmline.actions.metrics.rebuild import rebuild_metrics, rollups_agree
from warmline.actions.rebuild import rebuild_projections
from warmline.actions.retention import run_retention
from warmline.demo.history import World
from warmline.domain.access.roles import LOCAL_ADMIN
from warmline.storage import metrics_queries as mq
from warmline.storage import schema as t

NOW = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
REASONS = ["card_declined", "transfer_not_received", "dispute_transaction", "change_address"]


def simulated_history(seed: int, customers: int = 10) -> list[dict[str, Any]]:
    """Customers who come back about the same thing within days, on other channels, with
    the demo's words, feedback, cases and promises; plus a segment change and a second
    record of one customer (joined later by a merge)."""
    rng = random.Random(seed)
    world = World(seed, NOW, rng, prefix=f"m{seed}")
    for n in range(customers):
        email = f"c{n}@example.org"
        ref = {"identifiers": [{"kind": "email", "value": email, "verified": True}]}
        traits = {"name": f"Customer {n}", "segment": rng.choice(["everyday", "premier"])}
        world.emit(
            "customer.identified",
            NOW - dt.timedelta(days=90),
            "crm",
            customer={**ref, "traits": traits},
        )
        for _ in range(rng.randint(1, 3)):
            start = NOW - dt.timedelta(days=rng.uniform(2, 60))
            reason = rng.choice(REASONS)
            for k in range(rng.randint(1, 4)):
                at = start + dt.timedelta(days=k * rng.uniform(0.2, 5))
                world.interaction(
                    ref,
                    f"C{n}",
                    "plain",
                    at,
                    reason=reason,
                    outcome=rng.choice(["resolved", "resolved", "unresolved", "follow_up"]),
                )
        if n % 4 == 0:
            traits = {"segment": "small_business"}
            world.emit(
                "customer.identified",
                NOW - dt.timedelta(days=1),
                "crm",
                customer={**ref, "traits": traits},
            )
    # A second record of customer 0 (a phone only they will be merged with by hand).
    other = {"identifiers": [{"kind": "phone", "value": "+447412345678", "verified": True}]}
    world.interaction(
        other, "C0", "plain", NOW - dt.timedelta(days=3), reason=REASONS[0], outcome="resolved"
    )
    return world.events


def out_of_order(events: list[dict[str, Any]], rng: random.Random) -> list[list[dict[str, Any]]]:
    """Events shuffled within a sliding reach (messages before their contact starts, ends
    before starts), cut into batches of 1 to 60."""
    keyed = sorted(events, key=lambda e: (e["time"], rng.random()))
    shuffled = sorted(enumerate(keyed), key=lambda p: p[0] + rng.uniform(-12, 12))
    flat = [e for _, e in shuffled]
    batches, n = [], 0
    while n < len(flat):
        size = rng.randint(1, 60)
        batches.append(flat[n : n + size])
        n += size
    return batches


def customer_of(engine: Engine, kind: str, value: str) -> str:
    with engine.connect() as conn:
        origin = conn.execute(
            sa.select(t.identifiers.c.customer_id).where(
                t.identifiers.c.kind == kind, t.identifiers.c.value == value
            )
        ).scalar_one()
    return str(origin)


def rollups(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return mq.rollup_table(conn)


def test_ingest_out_of_order_agrees_with_a_rebuild_through_merges_erasure_and_retention(
    engine: Engine,
) -> None:
    rng = random.Random(5)
    for batch in out_of_order(simulated_history(5), rng):
        ingest_events(engine, batch, now=NOW)
    kept = rollups(engine)
    with engine.connect() as conn:
        fcr = conn.execute(
            sa.select(
                sa.func.sum(t.metric_rollups.c.first_contacts),
                sa.func.sum(t.metric_rollups.c.repeat_contacts),
            ).where(t.metric_rollups.c.grouping == 0, t.metric_rollups.c.period == "month")
        ).one()
    assert fcr[0] > 0 and fcr[1] > 0  # the history has first contacts and repeats
    assert rollups_agree(engine)
    rebuild_metrics(engine)
    assert rollups(engine) == kept

    merge = merge_customers(
        engine,
        from_id=customer_of(engine, "phone", "+447412345678"),
        into_id=customer_of(engine, "email", "c0@example.org"),
        actor=LOCAL_ADMIN,
    )
    assert rollups(engine) != kept  # the second record's call is a repeat of customer 0's
    assert rollups_agree(engine)
    undo_merge(engine, merge["id"], LOCAL_ADMIN, "not the same person")
    assert rollups(engine) == kept

    erase_customer(engine, customer_of(engine, "email", "c1@example.org"), LOCAL_ADMIN, "asked")
    assert rollups_agree(engine)
    run_retention(engine, {"feedback": 20}, now=NOW)
    assert rollups_agree(engine)
    after = rollups(engine)
    rebuild_projections(engine)
    assert rollups(engine) == after
