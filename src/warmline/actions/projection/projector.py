"""Project a batch of validated events into the memory, set-based, in one transaction.

The projector loads everything the batch refers to in a handful of queries, applies
the events in memory in order, then writes each table with one ``executemany``. That
keeps ingest close to the database's raw insert speed while every event stays atomic
(the caller owns the transaction).

Flow, one way: :meth:`Projector.apply` resolves the event's customer
(:mod:`~warmline.actions.projection.resolution`), records what it says of them, and
calls the event type's handler (:mod:`~warmline.actions.projection.handlers`); all of
them change the batch's state (:class:`~warmline.actions.projection.batch.Batch`).
:meth:`Projector.flush` adds insight (:mod:`~warmline.actions.projection.insight`) and
wrap-up (:mod:`~warmline.actions.projection.wrap_up`), then writes. Nothing in this
package imports the projector.

Every row an event creates lands on a live customer (``customer_id``) and remembers the
customer record it was first recorded on (``origin_id``). Identity is resolved between
records, never between merged customers, so what an event resolves to does not depend
on merges, and undoing a merge is relabelling rows by their origin (see
:mod:`warmline.actions.merges`).

Out-of-order events are handled, not dropped: an event about an interaction, case or
commitment that is not known yet either creates a placeholder (when it names its
customer) or waits in the raw log (``awaiting``) until the thing it belongs to arrives,
and is projected then.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Connection

from warmline import events as ev
from warmline.actions.projection.batch import Batch
from warmline.actions.projection.handlers import HANDLERS
from warmline.actions.projection.insight import annotate_batch
from warmline.actions.projection.resolution import Resolver
from warmline.actions.projection.rows import Landing, Outcome
from warmline.actions.projection.wrap_up import wrap_up_batch


class Projector:
    """Projects one batch. Use :meth:`preload`, :meth:`apply`, :meth:`flush`.

    ``apply_merges=False`` (rebuild) records merges that ingest makes but leaves every
    row on its own record; the rebuild applies all merges in force at the end.
    ``insight=False`` stores messages without sentiment, emotions or likely reasons.
    """

    def __init__(
        self,
        conn: Connection,
        region: str = "GB",
        *,
        apply_merges: bool = True,
        insight: bool = True,
    ) -> None:
        self.batch = Batch(conn, region, apply_merges)
        self.resolver = Resolver(self.batch)
        self.insight = insight

    def preload(self, events: Sequence[ev.Event]) -> None:
        """Fetch every identifier, interaction, case, commitment and candidate record the
        events mention."""
        b = self.batch
        idents: set[tuple[str, str]] = set()
        refs: dict[str, set[str]] = {kind: set() for kind in b.anchors}
        for event in events:
            p = event.payload
            if p.customer:
                idents.update((i.kind, i.value) for i in p.customer.identifiers)
            idents.update((i.kind, i.value) for i in p.named_identifiers())
            for kind in refs:
                if value := getattr(p, f"{kind}_id", None):
                    refs[kind].add(value)
        b.lock(idents, refs)
        b.load_identifiers(idents)
        b.load_anchors(refs)
        origins = {o.origin_id for owners in b.owners.values() for o in owners}
        for rows in b.anchors.values():
            origins.update(r.values["origin_id"] for r in rows.values())
        candidates = b.index.preload([e.payload.customer for e in events if e.payload.customer])
        b.index.load_profiles(origins)
        b.index.load_candidates(candidates - origins)
        # A match candidate's customer row is read only if the candidate scores (see
        # Batch.live()): most do not, and each row is a page read in a large memory.
        b.load_customers(origins)

    def apply(self, event: ev.Event) -> Outcome:
        """Apply one event to the batch; say where it landed."""
        b, p = self.batch, event.payload
        anchor = p.anchor()
        anchored = b.anchors[anchor[0]].get(anchor[1]) if anchor else None
        share: frozenset[tuple[str, str]] = frozenset()
        if anchored is not None:
            landing = Landing(anchored.values["customer_id"], anchored.values["origin_id"])
            outcome = Outcome(landing.customer_id, None, landing.origin_id, "known")
        elif p.customer is not None:
            landing, outcome, share = self.resolver.resolve(p.customer, event)
        else:
            assert anchor is not None  # the payload validator guarantees customer or anchor
            return Outcome(None, awaiting=f"{anchor[0]}:{anchor[1]}")
        if p.customer is not None:
            b.learn(p.customer, landing, event, share)
        HANDLERS[event.type](b, event, landing, p)
        return outcome

    def flush(self) -> None:
        """Work out what the batch's contacts say, then write everything it changed."""
        if self.insight:
            annotate_batch(self.batch)
        wrap_up_batch(self.batch)
        self.batch.write()
        self.resolver.flush()
