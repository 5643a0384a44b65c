"""Ingest: validate a batch of envelopes, store the new ones raw, project them, atomically.

``(source, id)`` is the idempotency key: an event already stored reports
``duplicate`` and changes nothing. Each invalid event is reported with its own
errors while the valid ones in the same batch are stored; an event with one bad
identifier or trait is stored without it (or with the identifier as written) and
reported with ``warnings``. Storing and
projecting happen in one transaction, so a crash leaves either the whole event
(raw envelope and projections) or none of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from warmline.actions.derived import defer
from warmline.actions.erase import event_key_hash
from warmline.actions.metrics.refresh import refresh_metrics
from warmline.actions.projection.clustering import recluster
from warmline.actions.projection.projector import Projector
from warmline.actions.projection.rows import Outcome
from warmline.actions.retries import RETRIES, retryable
from warmline.actions.risk import refresh_risk, risk_policy
from warmline.domain.risk import RiskPolicy
from warmline.errors import PayloadTooLarge
from warmline.events import Event, EventError, InvalidEvent, parse_event
from warmline.storage import schema as t
from warmline.storage.bulk import insert_rows
from warmline.storage.chunking import chunks
from warmline.storage.compiled_select import FastSelect
from warmline.storage.engine import writing
from warmline.storage.identity_queries import cluster_of
from warmline.storage.live import announce, interaction_topic

Status = Literal["accepted", "pending", "duplicate", "rejected"]


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What happened to one event of a batch."""

    index: int
    source: str | None
    id: str | None
    status: Status
    customer_id: str | None = None
    awaiting: str | None = None
    errors: tuple[EventError, ...] = ()
    #: How the customer was found: known, linked, review, new or ambiguous.
    resolution: str | None = None
    #: Live customers a shared identifier or a review could also mean.
    candidates: tuple[str, ...] = ()
    #: What was left out of a stored event, or kept as written (field, reason, code).
    warnings: tuple[EventError, ...] = ()

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "index": self.index,
            "source": self.source,
            "id": self.id,
            "status": self.status,
        }
        if self.customer_id:
            body["customer_id"] = self.customer_id
        if self.resolution:
            body["resolution"] = self.resolution
        if self.candidates:
            body["candidates"] = list(self.candidates)
        if self.awaiting:
            body["awaiting"] = self.awaiting
        if self.errors:
            body["errors"] = [
                {"field": e.field, "reason": e.reason, "code": e.code} for e in self.errors
            ]
        if self.warnings:
            body["warnings"] = [
                {"field": e.field, "reason": e.reason, "code": e.code} for e in self.warnings
            ]
        return body


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Per-event results, in the order the events were sent."""

    items: list[ItemResult] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def stored(self) -> int:
        return self.count("accepted") + self.count("pending")

    @property
    def warned(self) -> int:
        """Events stored with warnings."""
        return sum(1 for item in self.items if item.warnings)

    def to_json(self) -> dict[str, Any]:
        return {
            "accepted": self.count("accepted"),
            "pending": self.count("pending"),
            "duplicates": self.count("duplicate"),
            "rejected": self.count("rejected"),
            "warned": self.warned,
            "results": [item.to_json() for item in self.items],
        }


def ingest_events(
    engine: Engine,
    envelopes: Sequence[Any],
    *,
    region: str = "GB",
    max_batch: int = 10_000,
    now: dt.datetime | None = None,
    may_verify: bool = True,
    insight: bool = True,
    metrics: bool = True,
    risk: RiskPolicy | None = None,
    conn: Connection | None = None,
) -> BatchResult:
    """Validate, store and project a batch of CloudEvents envelopes. Safe to replay.

    ``may_verify=False`` (a key without the right to vouch for identifiers) rejects
    events that claim an identifier was verified. ``insight=False`` skips the models;
    ``metrics=False`` leaves the rollups and risk scores alone (for measuring what they
    cost: a memory written so needs ``warmline metrics rebuild``). ``risk`` is the
    at-risk policy (default: the settings'). ``conn``: a writing connection (see
    :func:`~warmline.storage.engine.writing`) to use instead of one from the pool, for a
    caller storing many batches one after another (a bulk import); each batch is still its
    own transaction on it.
    """
    policy = risk or risk_policy()
    if len(envelopes) > max_batch:
        raise PayloadTooLarge(
            "batch_too_large",
            f"a batch may carry at most {max_batch} events; this one has {len(envelopes)}",
            hint=f"split it into batches of {max_batch} or fewer",
        )
    results, valid = validate_batch(envelopes, region=region, may_verify=may_verify)
    received_at = now or dt.datetime.now(dt.UTC)
    for attempt in range(RETRIES):
        try:
            with _writer(engine, conn) as writer, writer.begin():
                stored = store_new(writer, valid, received_at, region, insight, metrics and policy)
            break
        except (IntegrityError, OperationalError) as exc:
            # A concurrent batch stored the same event or thing first (PostgreSQL), or a
            # deadlock/serialisation failure: the transaction rolled back whole; try again and
            # the events it stored will now report ``duplicate``.
            if attempt == RETRIES - 1 or not retryable(exc):
                raise
    for index, event in valid:
        results[index] = stored.get(index) or ItemResult(index, event.source, event.id, "duplicate")
    return BatchResult([r for r in results if r is not None])


def _writer(engine: Engine, conn: Connection | None) -> AbstractContextManager[Connection]:
    return writing(engine) if conn is None else nullcontext(conn)


def ingest_within(
    conn: Connection,
    envelopes: Sequence[Any],
    *,
    region: str = "GB",
    received_at: dt.datetime | None = None,
    derived_later: bool = False,
) -> BatchResult:
    """Validate, store and project a batch on ``conn``, in the caller's transaction (for an
    action whose other writes must commit with its events, or not at all). No retries: the
    caller retries its whole transaction on a retryable error (:func:`retryable`).

    ``derived_later``: the metrics rollups and risk scores are not recomputed here but
    recorded as due in this transaction and brought up to date just after it commits
    (:mod:`warmline.actions.derived`), for a write whose caller waits for it (a contact's
    start, before the desk's push)."""
    results, valid = validate_batch(envelopes, region=region)
    received = received_at or dt.datetime.now(dt.UTC)
    stored = store_new(conn, valid, received, region, True, "later" if derived_later else True)
    for index, event in valid:
        results[index] = stored.get(index) or ItemResult(index, event.source, event.id, "duplicate")
    return BatchResult([r for r in results if r is not None])


def validate_batch(
    envelopes: Sequence[Any], *, region: str = "GB", may_verify: bool = True
) -> tuple[list[ItemResult | None], list[tuple[int, Event]]]:
    """Each envelope's rejection or duplicate-in-batch result, and the valid events to store
    (with their index); nothing is read or written."""
    results: list[ItemResult | None] = [None] * len(envelopes)
    first_index: dict[tuple[str, str], int] = {}
    valid: list[tuple[int, Event]] = []
    for index, envelope in enumerate(envelopes):
        try:
            event = parse_event(envelope, region=region)
        except InvalidEvent as exc:
            results[index] = ItemResult(
                index, exc.source, exc.event_id, "rejected", errors=tuple(exc.errors)
            )
            continue
        if not may_verify and (claims := _verification_claims(event)):
            results[index] = ItemResult(index, event.source, event.id, "rejected", errors=claims)
            continue
        key = (event.source, event.id)
        if key in first_index:
            results[index] = ItemResult(index, event.source, event.id, "duplicate")
            continue
        first_index[key] = index
        valid.append((index, event))
    return results, valid


def _verification_claims(event: Event) -> tuple[EventError, ...]:
    ref = event.payload.customer
    if ref is None:
        return ()
    claims = [
        EventError(
            f"/data/customer/identifiers/{n}/verified",
            f"this key may not claim that a {ident.kind} was verified; send verified: false, "
            "or use a key created with --may-verify",
            "verify_not_allowed",
        )
        for n, ident in zip(ref.positions, ref.identifiers, strict=True)
        if ident.verified
    ]
    if ref.traits_verified:
        claims.append(
            EventError(
                "/data/customer/traits_verified",
                "this key may not vouch for traits; send traits_verified: false, or use a key "
                "created with --may-verify",
                "verify_not_allowed",
            )
        )
    return tuple(claims)


def store_new(
    conn: Connection,
    valid: list[tuple[int, Event]],
    received_at: dt.datetime,
    region: str,
    insight: bool,
    metrics: RiskPolicy | bool | Literal["later"],
) -> dict[int, ItemResult]:
    """Store and project the events of ``valid`` not stored before, on ``conn`` (the caller
    owns the transaction); their results by index. ``metrics``: as :func:`project_batch`."""
    existing = _existing_keys(conn, [e for _, e in valid])
    new = [(i, e) for i, e in valid if (e.source, e.id) not in existing]
    if not new:
        return {}
    outcomes_list, replayed = project_batch(
        conn, [e for _, e in new], region, insight=insight, metrics=metrics
    )
    outcomes = {i: o for (i, _), o in zip(new, outcomes_list, strict=True)}
    insert_rows(
        conn,
        t.raw_events,
        [
            {
                "source": e.source,
                "event_id": e.id,
                "type": e.type,
                "time": e.time,
                "received_at": received_at,
                "customer_id": outcomes[i].origin_id,
                "awaiting": outcomes[i].awaiting,
                "envelope": e.raw,
            }
            for i, e in new
        ],
    )
    _mark_replayed(conn, replayed)
    return {
        i: ItemResult(
            i,
            e.source,
            e.id,
            "pending" if outcomes[i].awaiting else "accepted",
            outcomes[i].customer_id,
            outcomes[i].awaiting,
            resolution=outcomes[i].resolution,
            candidates=outcomes[i].candidates,
            warnings=e.warnings,
        )
        for i, e in new
    }


def project_batch(
    conn: Connection,
    batch: list[Event],
    region: str,
    *,
    apply_merges: bool = True,
    insight: bool = True,
    metrics: RiskPolicy | bool | Literal["later"] = True,
) -> tuple[list[Outcome], dict[int, str]]:
    """Project ``batch`` in order, then release events that waited for what it created;
    then bring the metrics and risk scores up to date with what changed (``metrics``: the
    risk policy, or True for the settings' one; ``"later"``: record them as due, for just
    after the commit; False: leave them).

    Returns each event's outcome, and ``{seq: origin_id}`` for events of earlier
    batches that waited in the raw log and are projected now.
    """
    projector = Projector(conn, region=region, apply_merges=apply_merges, insight=insight)
    projector.preload(batch)
    outcomes = [projector.apply(e) for e in batch]
    replayed = _release_waiting(projector, batch, outcomes)
    projector.flush()
    if projector.resolver.bridged and apply_merges:
        # Records of this batch linked two customers: now that every row is written,
        # put them on one (the merges are recorded; undo splits them again).
        bridged = {projector.batch.live(o) for o in projector.resolver.bridged}
        moved = recluster(conn, cluster_of(conn, bridged), now=batch[-1].time).moved
        projector.batch.touched.customers.update(r for pair in moved.values() for r in pair)
    # Desks watching these conversations live read them again once this commits.
    announce(conn, *(interaction_topic(i) for i in sorted(projector.batch.touched.interactions)))
    if metrics == "later":
        defer(conn, projector.batch.touched, now=dt.datetime.now(dt.UTC))
    elif metrics:
        touched = projector.batch.touched
        refresh_metrics(conn, touched)
        policy = metrics if isinstance(metrics, RiskPolicy) else risk_policy()
        refresh_risk(conn, touched.risk | touched.customers, policy, now=dt.datetime.now(dt.UTC))
    return outcomes, replayed


def _existing_keys(conn: Connection, batch: list[Event]) -> set[tuple[str, str]]:
    """Which of the batch's ``(source, id)`` keys are stored already (one index search a source)."""
    by_source: dict[str, set[str]] = {}
    for e in batch:
        by_source.setdefault(e.source, set()).add(e.id)
    found: set[tuple[str, str]] = set()
    for source, ids in by_source.items():
        for chunk in chunks(ids):
            rows = _STORED.rows(conn, source=source, ids=chunk)
            found.update((source, event_id) for (event_id,) in rows)
    # Events of erased customers are gone from the raw log but must stay duplicates.
    hashes = {event_key_hash(e.source, e.id): (e.source, e.id) for e in batch}
    for chunk in chunks(hashes):
        found.update(hashes[h] for (h,) in _ERASED.rows(conn, hashes=chunk))
    return found


#: The idempotency check of every batch: compiled once, run on the cursor (on PostgreSQL
#: each list as one array).
_STORED = FastSelect(
    sa.select(t.raw_events.c.event_id).where(
        t.raw_events.c.source == sa.bindparam("source"),
        t.raw_events.c.event_id.in_(sa.bindparam("ids", expanding=True)),
    )
)
_ERASED = FastSelect(
    sa.select(t.erased_events.c.key_hash).where(
        t.erased_events.c.key_hash.in_(sa.bindparam("hashes", expanding=True))
    )
)


def _release_waiting(
    projector: Projector, batch: list[Event], outcomes: list[Outcome]
) -> dict[int, str]:
    """Project events that waited for an interaction, case or commitment created since.

    This batch's waiting events are re-applied in place (``outcomes`` is updated); events
    that waited in the raw log from earlier batches are returned as ``{seq: origin_id}``.
    """
    waiting = {i: e for i, e in enumerate(batch) if outcomes[i].awaiting}
    replayed: dict[int, str] = {}
    handled: set[str] = set()
    while True:
        created = [k for k in projector.batch.created_anchor_keys() if k not in handled]
        if not created:
            return replayed
        handled.update(created)
        ready = set(created)
        for index, event in list(waiting.items()):
            if outcomes[index].awaiting in ready:
                outcomes[index] = projector.apply(event)
                if not outcomes[index].awaiting:
                    del waiting[index]
        stored = _stored_waiting(projector.batch.conn, created, projector.batch.region)
        projector.preload([e for _, e in stored])
        for seq, event in stored:
            outcome = projector.apply(event)
            if outcome.origin_id:
                replayed[seq] = outcome.origin_id


def _stored_waiting(conn: Connection, keys: list[str], region: str) -> list[tuple[int, Event]]:
    rows: list[tuple[int, Event]] = []
    for chunk in chunks(keys):
        query = (
            sa.select(t.raw_events.c.seq, t.raw_events.c.envelope)
            .where(t.raw_events.c.awaiting.in_(chunk))
            .order_by(t.raw_events.c.seq)
        )
        rows.extend((seq, parse_stored(envelope, region)) for seq, envelope in conn.execute(query))
    return sorted(rows, key=lambda r: r[0])


def parse_stored(envelope: str, region: str = "GB") -> Event:
    """Re-validate an envelope from the raw log (it passed validation when it was stored)."""
    return parse_event(orjson.loads(envelope), region=region)


def _mark_replayed(conn: Connection, replayed: dict[int, str]) -> None:
    if replayed:
        conn.execute(
            t.raw_events.update()
            .where(t.raw_events.c.seq == sa.bindparam("b_seq"))
            .values(customer_id=sa.bindparam("b_customer_id"), awaiting=None),
            [{"b_seq": seq, "b_customer_id": cid} for seq, cid in replayed.items()],
        )
