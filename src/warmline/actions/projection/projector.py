"""Project a batch of validated events into the memory, set-based, in one transaction.

The projector loads everything the batch refers to in a handful of queries,
applies the events in memory in order, then writes each table with one
``executemany``. That keeps ingest close to the database's raw insert speed
while every event stays atomic (the caller owns the transaction).

Every row an event creates lands on a live customer (``customer_id``) and
remembers the customer record it was first recorded on (``origin_id``). Identity
is resolved between records, never between merged customers, so what an event
resolves to does not depend on merges, and undoing a merge is relabelling rows
by their origin (see :mod:`warmline.actions.merges`).

Out-of-order events are handled, not dropped: an event about an interaction,
case or commitment that is not known yet either creates a placeholder (when it
names its customer) or waits in the raw log (``awaiting``) until the thing it
belongs to arrives, and is projected then.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline import events as ev
from warmline.actions.projection.handlers import HANDLERS
from warmline.actions.projection.insight import annotate_batch
from warmline.actions.projection.match_index import MatchIndex
from warmline.actions.projection.resolution import Resolver
from warmline.actions.projection.rows import Landing, Outcome, Owner, Row
from warmline.actions.projection.wrap_up import wrap_up_batch
from warmline.domain.identity.names import name_tokens
from warmline.domain.ids import stable_id
from warmline.domain.profile.traits import Fact, fold_fact, trait_columns
from warmline.storage import projection_reads as lookups
from warmline.storage import schema as t
from warmline.storage.chunking import chunks

#: PostgreSQL: ingest batches hold this lock shared, merges exclusively, so a merge never
#: relabels rows a batch is about to write.
MERGE_LOCK = 7412


@dataclass
class Projector:
    """One batch's projection state. Use :meth:`preload`, :meth:`apply`, :meth:`flush`.

    ``apply_merges=False`` (rebuild) records merges that ingest makes but leaves every
    row on its own record; the rebuild applies all merges in force at the end.
    ``insight=False`` stores messages without sentiment, emotions or likely reasons.
    """

    conn: Connection
    region: str = "GB"
    apply_merges: bool = True
    insight: bool = True
    customers: dict[str, Row] = field(default_factory=dict)
    owners: dict[tuple[str, str], list[Owner]] = field(default_factory=dict)
    anchors: dict[str, dict[str, Row]] = field(
        default_factory=lambda: {"interaction": {}, "case": {}, "commitment": {}}
    )
    inserts: dict[sa.Table, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    renamed: set[str] = field(default_factory=set)
    index: MatchIndex = field(init=False)
    resolver: Resolver = field(init=False)

    def __post_init__(self) -> None:
        self.index = MatchIndex(self.conn)
        self.resolver = Resolver(self)

    # -- loading -----------------------------------------------------------------

    def preload(self, batch: Sequence[ev.Event]) -> None:
        """Fetch every identifier, interaction, case, commitment and candidate record the
        batch mentions."""
        idents: set[tuple[str, str]] = set()
        refs: dict[str, set[str]] = {"interaction": set(), "case": set(), "commitment": set()}
        for event in batch:
            p = event.payload
            if p.customer:
                idents.update((i.kind, i.value) for i in p.customer.identifiers)
            for kind, attr in (
                ("interaction", "interaction_id"),
                ("case", "case_id"),
                ("commitment", "commitment_id"),
            ):
                if value := getattr(p, attr, None):
                    refs[kind].add(value)
        self._lock(idents, refs)
        self._load_identifiers(idents)
        self._load_anchors(refs)
        origins = {o.origin_id for owners in self.owners.values() for o in owners}
        for rows in self.anchors.values():
            origins.update(r.values["origin_id"] for r in rows.values())
        candidates = self.index.preload([e.payload.customer for e in batch if e.payload.customer])
        self.index.load_profiles(origins)
        self.index.load_candidates(candidates - origins)
        # A match candidate's customer row is read only if the candidate scores (see
        # live()): most do not, and each row is a page read in a large memory.
        self.load_customers(origins)

    def _lock(self, idents: set[tuple[str, str]], refs: dict[str, set[str]]) -> None:
        """PostgreSQL: serialise concurrent batches that touch the same identifiers or things."""
        if self.conn.dialect.name != "postgresql":
            return  # SQLite writers already hold the database write lock (BEGIN IMMEDIATE)
        self.conn.execute(sa.text(f"SELECT pg_advisory_xact_lock_shared({MERGE_LOCK})"))
        keys = [f"{k}:{v}" for k, v in idents] + [f"{k}:{v}" for k, vs in refs.items() for v in vs]
        ints = sorted(
            {
                int.from_bytes(
                    hashlib.blake2b(k.encode(), digest_size=8).digest(), "big", signed=True
                )
                for k in keys
            }
        )
        for chunk in chunks(ints):
            self.conn.execute(
                sa.text(
                    "SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k"
                ),
                {"keys": chunk},
            )

    def _load_identifiers(self, idents: set[tuple[str, str]]) -> None:
        by_kind: dict[str, set[str]] = {}
        for kind, value in idents:
            if (kind, value) not in self.owners:
                by_kind.setdefault(kind, set()).add(value)
        for kind, values in by_kind.items():
            for chunk in chunks(values):
                for r in lookups.IDENTIFIERS.all(self.conn, kind=kind, values=chunk):
                    owner = Owner(r["origin_id"], r["verified"], Row(r, new=False))
                    self.owners.setdefault((kind, r["value"]), []).append(owner)
            for value in values:
                self.owners.setdefault((kind, value), [])

    def _load_anchors(self, refs: dict[str, set[str]]) -> None:
        for kind, ids in refs.items():
            for chunk in chunks(ids):
                for r in lookups.ANCHORS[kind].all(self.conn, ids=chunk):
                    # rows already in memory may carry this batch's changes: keep them
                    self.anchors[kind].setdefault(r["external_id"], Row(r, new=False))

    def load_customers(self, ids: Iterable[str]) -> None:
        """Load customer rows, and the live customers of merged ones."""
        missing = [i for i in ids if i not in self.customers]
        roots: set[str] = set()
        for chunk in chunks(missing):
            for r in lookups.CUSTOMERS.all(self.conn, ids=chunk):
                self.customers[r["id"]] = Row(r, new=False)
                if r["status"] == "merged" and r["merged_into"] not in self.customers:
                    roots.add(r["merged_into"])
        if roots:
            self.load_customers(roots)

    def live(self, origin_id: str) -> str:
        """The live customer a record belongs to now (its row read if not yet loaded)."""
        if origin_id not in self.customers:
            self.load_customers([origin_id])
        row = self.customers[origin_id].values
        return str(row["merged_into"]) if row["status"] == "merged" else origin_id

    # -- applying ------------------------------------------------------------------

    def apply(self, event: ev.Event) -> Outcome:
        """Apply one event to the in-memory state; say where it landed."""
        p = event.payload
        anchor = p.anchor()
        anchored = self.anchors[anchor[0]].get(anchor[1]) if anchor else None
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
            self.learn(p.customer, landing, event, share)
        HANDLERS[event.type](self, event, landing)
        return outcome

    def new_record(self, event: ev.Event) -> str:
        """A new customer record for the person ``event`` names; returns its id."""
        origin = stable_id("cus", event.source, event.id)
        if origin not in self.customers:
            self.customers[origin] = Row(
                {
                    "id": origin,
                    "status": "active",
                    "merged_into": None,
                    "erased_at": None,
                    "name": None,
                    "preferred_name": None,
                    "customer_since": None,
                    "traits": {},
                    "created_at": event.time,
                    "updated_at": event.time,
                },
                new=True,
            )
            self.index.new_profile(origin)
        return origin

    def learn(
        self,
        ref: ev.CustomerRef,
        landing: Landing,
        event: ev.Event,
        share: frozenset[tuple[str, str]] = frozenset(),
    ) -> None:
        """Add new identifiers to the event's record, confirm verification, record traits.

        An identifier another record holds is added only if a source vouches for it
        (verified) or resolution found it shared (``share``): a household phone.
        """
        origin = landing.origin_id
        for ident in ref.identifiers:
            key = (ident.kind, ident.value)
            owners = self.owners[key]
            mine = next((o for o in owners if o.origin_id == origin), None)
            if mine is not None:
                if ident.verified and not mine.verified:
                    mine.verified = True
                    mine.row.set(verified=True)
                    self.index.add_identifier(origin, ident.kind, ident.value, True)
                continue
            if owners and not ident.verified and key not in share:
                continue  # held by someone else: only a source that vouches for it may share it
            row = Row(
                {
                    "id": stable_id("idn", origin, *key),
                    "customer_id": landing.customer_id,
                    "origin_id": origin,
                    "kind": ident.kind,
                    "value": ident.value,
                    "verified": ident.verified,
                    "source": event.source,
                    "first_seen_at": event.time,
                },
                new=True,
            )
            owners.append(Owner(origin, ident.verified, row))
            self.index.add_identifier(origin, ident.kind, ident.value, ident.verified)
        if ref.traits is not None:
            self.record_facts(
                ref.traits.model_dump(mode="json", exclude_none=True),
                landing,
                event,
                sensitive=frozenset(ref.sensitive),
            )

    def record_facts(
        self,
        given: dict[str, Any],
        landing: Landing,
        event: ev.Event,
        sensitive: frozenset[str] = frozenset(),
    ) -> None:
        """Keep each value as a fact (source, time); fold it into the record's own traits
        and the live customer's (see :mod:`warmline.domain.profile.traits`)."""
        if not given:
            return
        facts = [Fact(k, v, event.source, event.time, k in sensitive) for k, v in given.items()]
        for fact in facts:
            self.inserts[t.facts].append(
                {
                    "id": stable_id("fct", event.source, event.id, fact.key),
                    "customer_id": landing.customer_id,
                    "origin_id": landing.origin_id,
                    "key": fact.key,
                    "value": fact.value,
                    "source": fact.source,
                    "sensitive": fact.sensitive,
                    "observed_at": fact.at,
                }
            )
        self.index.record_facts(landing.origin_id, facts)
        for customer_id in dict.fromkeys((landing.customer_id, landing.origin_id)):
            customer = self.customers[customer_id]
            traits = dict(customer.values["traits"])
            for fact in facts:
                fold_fact(traits, fact)
            columns = trait_columns(traits)
            if columns["name"] != customer.values["name"]:
                self.renamed.add(customer_id)
            customer.set(
                traits=traits, updated_at=max(customer.values["updated_at"], event.time), **columns
            )

    # -- anchors ---------------------------------------------------------------------

    def interaction(self, external_id: str, landing: Landing, event: ev.Event) -> Row:
        """The interaction ``external_id``; a placeholder if this is the first news of it."""
        row = self.anchors["interaction"].get(external_id)
        if row is None:
            row = Row(
                {
                    "id": stable_id("int", external_id),
                    "external_id": external_id,
                    "customer_id": landing.customer_id,
                    "origin_id": landing.origin_id,
                    "source": event.source,
                    "channel": None,
                    "status": "open",
                    "started_at": event.time,
                    "ended_at": None,
                    "agent_id": None,
                    "queue": None,
                    "subject": None,
                    "outcome": None,
                    "reason": None,
                    "summary": None,
                    "case_id": None,
                    "transfers": 0,
                    "message_count": 0,
                    "last_message_at": None,
                    "mood": None,
                    "predicted_reason": None,
                    "summary_by": None,
                    "restatements": None,
                    "verified_by": None,
                },
                new=True,
            )
            self.anchors["interaction"][external_id] = row
        return row

    def case(self, external_id: str, landing: Landing, event: ev.Event) -> Row:
        row = self.anchors["case"].get(external_id)
        if row is None:
            row = Row(
                {
                    "id": stable_id("case", external_id),
                    "external_id": external_id,
                    "customer_id": landing.customer_id,
                    "origin_id": landing.origin_id,
                    "source": event.source,
                    "title": None,
                    "status": "open",
                    "priority": "normal",
                    "opened_at": event.time,
                    "updated_at": event.time,
                    "resolved_at": None,
                    "latest_note": None,
                    "resolution": None,
                    "interaction_id": None,
                    "effort": None,
                },
                new=True,
            )
            self.anchors["case"][external_id] = row
        return row

    def commitment(self, external_id: str, landing: Landing, event: ev.Event) -> Row:
        row = self.anchors["commitment"].get(external_id)
        if row is None:
            row = Row(
                {
                    "id": stable_id("cmt", external_id),
                    "external_id": external_id,
                    "customer_id": landing.customer_id,
                    "origin_id": landing.origin_id,
                    "source": event.source,
                    "text": None,
                    "due_at": None,
                    "made_at": event.time,
                    "made_by": None,
                    "status": "open",
                    "fulfilled_at": None,
                    "note": None,
                    "case_id": None,
                    "interaction_id": None,
                },
                new=True,
            )
            self.anchors["commitment"][external_id] = row
        return row

    def link_case(self, interaction_external_id: str | None, case: Row) -> str | None:
        """Attach a known interaction to ``case``; return the interaction's internal id."""
        if interaction_external_id is None:
            return None
        interaction = self.anchors["interaction"].get(interaction_external_id)
        if interaction is None:
            return None
        interaction.set(case_id=case.values["id"])
        return str(interaction.values["id"])

    def created_anchor_keys(self) -> list[str]:
        return [
            f"{kind}:{external_id}"
            for kind, rows in self.anchors.items()
            for external_id, row in rows.items()
            if row.new
        ]

    # -- writing -----------------------------------------------------------------------

    def flush(self) -> None:
        """Write everything this batch changed: inserts first, then updates, table by table."""
        if self.insight:
            annotate_batch(self)
        wrap_up_batch(self)
        self._write_rows(t.customers, self.customers.values())
        for kind, table in (
            ("interaction", t.interactions),
            ("case", t.cases),
            ("commitment", t.commitments),
        ):
            self._write_rows(table, self.anchors[kind].values())
        self._write_rows(t.identifiers, (o.row for owners in self.owners.values() for o in owners))
        self._write_name_tokens()
        for table, rows in self.inserts.items():
            if rows:
                self.conn.execute(table.insert(), rows)
        self.inserts.clear()
        self.index.flush()
        self.resolver.flush()

    def _write_rows(self, table: sa.Table, rows: Iterable[Row]) -> None:
        new, changed = [], []
        for row in rows:
            if row.new:
                new.append(row.values)
            elif row.dirty:
                changed.append({f"b_{k}": v for k, v in row.values.items()})
            row.new = row.dirty = False
        if new:
            self.conn.execute(table.insert(), new)
        if changed:
            columns = [c.name for c in table.columns if c.name != "id"]
            statement = (
                table.update()
                .where(table.c.id == sa.bindparam("b_id"))
                .values({c: sa.bindparam(f"b_{c}") for c in columns})
            )
            self.conn.execute(statement, changed)

    def _write_name_tokens(self) -> None:
        if not self.renamed:
            return
        # Customers created in this batch have no tokens yet: only renamed ones need a delete.
        existing = [cid for cid in self.renamed if not self.customers[cid].new]
        write_name_tokens(
            self.conn,
            existing,
            {cid: self.customers[cid].values for cid in self.renamed},
        )
        self.renamed.clear()


def write_name_tokens(
    conn: Connection, stale: Sequence[str], customers: dict[str, dict[str, Any]]
) -> None:
    """Replace the search tokens of ``customers``: live customers are found by name, merged
    records are not (search finds the customer they are part of)."""
    for chunk in chunks(stale):
        conn.execute(t.name_tokens.delete().where(t.name_tokens.c.customer_id.in_(chunk)))
    rows = [
        {"token": token, "customer_id": cid}
        for cid, values in customers.items()
        if values["status"] == "active"
        for token in name_tokens(values["name"])
    ]
    if rows:
        conn.execute(t.name_tokens.insert(), rows)
