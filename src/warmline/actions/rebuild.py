"""Rebuild every projection from the raw event log: same events, same order, same memory.

Events are replayed onto the customer records they resolve to, with no merge applied;
then every merge in force (kept, like the suggestions, outside the projections) is
applied at once. Because resolution never depends on merges, that is the same memory.
The metrics are then recomputed from it (:mod:`warmline.actions.metrics.rebuild`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.actions.ingest import parse_stored, project_batch
from warmline.actions.metrics.rebuild import rebuild_in
from warmline.actions.projection.clustering import recluster
from warmline.actions.risk import rescore_in, risk_policy
from warmline.storage import schema as t
from warmline.storage.engine import writing


def rebuild_projections(
    engine: Engine,
    *,
    region: str = "GB",
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
    insight: bool = True,
) -> int:
    """Drop and replay all projections in one transaction; return the number of events replayed.

    Readers see the old memory until the new one is committed; a failure leaves the old one.
    """
    replayed = 0
    with writing(engine) as conn, conn.begin():
        for table in t.PROJECTIONS:
            if table is t.customers:  # erasure tombstones have no events to rebuild them from
                conn.execute(table.delete().where(table.c.status != "erased"))
            else:
                conn.execute(table.delete())
        conn.execute(t.raw_events.update().values(customer_id=None, awaiting=None))
        last_seq = 0
        while True:
            rows = conn.execute(
                sa.select(t.raw_events.c.seq, t.raw_events.c.envelope)
                .where(t.raw_events.c.seq > last_seq)
                .order_by(t.raw_events.c.seq)
                .limit(batch_size)
            ).all()
            if not rows:
                break
            seqs = [seq for seq, _ in rows]
            outcomes, released = project_batch(
                conn,
                [parse_stored(envelope, region) for _, envelope in rows],
                region,
                apply_merges=False,
                insight=insight,
                metrics=False,
            )
            updates = {
                seq: {"b_seq": seq, "b_customer_id": o.origin_id, "b_awaiting": o.awaiting}
                for seq, o in zip(seqs, outcomes, strict=True)
            }
            for seq, customer_id in released.items():
                updates[seq] = {"b_seq": seq, "b_customer_id": customer_id, "b_awaiting": None}
            conn.execute(
                t.raw_events.update()
                .where(t.raw_events.c.seq == sa.bindparam("b_seq"))
                .values(
                    customer_id=sa.bindparam("b_customer_id"),
                    awaiting=sa.bindparam("b_awaiting"),
                ),
                list(updates.values()),
            )
            last_seq = seqs[-1]
            replayed += len(rows)
            if progress:
                progress(len(rows))
        m = t.merges
        merged = conn.execute(
            sa.select(m.c.from_id, m.c.into_id).where(m.c.status == "active")
        ).all()
        records = {r for pair in merged for r in pair}
        if records:
            recluster(conn, records, now=dt.datetime.now(dt.UTC))
        rebuild_in(conn)
        rescore_in(conn, risk_policy(), now=dt.datetime.now(dt.UTC), notify=False)
    return replayed
