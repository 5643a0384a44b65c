"""One batch's working state: the rows it loaded, the rows it builds, and how it writes them.

Every step of the projection (the event handlers, identity resolution, insight and
wrap-up) reads and changes the batch through this object; none of them writes to the
database. :meth:`Batch.write` writes what changed, each table with one ``executemany``.

Every row an event creates lands on a live customer (``customer_id``) and remembers the
customer record it was first recorded on (``origin_id``): see
:mod:`warmline.actions.projection.projector`.
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
from warmline.actions.metrics.touched import Touched
from warmline.actions.projection.match_index import MatchIndex
from warmline.actions.projection.rows import Landing, Owner, Row, new_row
from warmline.domain.identity.identifiers import UNNORMALISED
from warmline.domain.identity.names import name_tokens
from warmline.domain.ids import stable_id
from warmline.domain.profile.traits import RECORD, Fact, fold_fact, trait_columns
from warmline.storage import projection_reads as reads
from warmline.storage import schema as t
from warmline.storage.bulk import insert_rows
from warmline.storage.chunking import chunks

#: PostgreSQL: ingest batches hold this lock shared, merges exclusively, so a merge never
#: relabels rows a batch is about to write.
MERGE_LOCK = 7412

#: The things events hang off, by the name an event's anchor uses for them.
ANCHOR_TABLES = {"interaction": t.interactions, "case": t.cases, "commitment": t.commitments}
_ID_PREFIXES = {"interaction": "int", "case": "case", "commitment": "cmt"}
#: The columns of each anchor table that start at the time of the first news of it.
_FIRST_SEEN = {
    "interaction": ("started_at",),
    "case": ("opened_at", "updated_at"),
    "commitment": ("made_at",),
}


@dataclass
class Batch:
    """The rows one batch loaded and changed, keyed the way events name them.

    ``apply_merges=False`` (rebuild) records merges that ingest makes but leaves every
    row on its own record; the rebuild applies all merges in force at the end.
    """

    conn: Connection
    region: str = "GB"
    apply_merges: bool = True
    customers: dict[str, Row] = field(default_factory=dict)
    owners: dict[tuple[str, str], list[Owner]] = field(default_factory=dict)
    anchors: dict[str, dict[str, Row]] = field(
        default_factory=lambda: {kind: {} for kind in ANCHOR_TABLES}
    )
    inserts: dict[sa.Table, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    renamed: set[str] = field(default_factory=set)
    #: What the batch wrote that metrics and risk derive from (filled by :meth:`write`).
    touched: Touched = field(default_factory=Touched)
    index: MatchIndex = field(init=False)
    #: Live customer -> the records merged into it as stored (read when first asked about),
    #: and the new records this batch joined to it.
    _stored_members: dict[str, set[str]] = field(default_factory=dict)
    _joined: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = MatchIndex(self.conn)

    # -- loading -----------------------------------------------------------------

    def lock(self, idents: set[tuple[str, str]], refs: dict[str, set[str]]) -> None:
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

    def load_identifiers(self, idents: set[tuple[str, str]]) -> None:
        """The records holding each identifier (none yet is remembered too)."""
        by_kind: dict[str, set[str]] = {}
        for kind, value in idents:
            if (kind, value) not in self.owners:
                by_kind.setdefault(kind, set()).add(value)
        for kind, values in by_kind.items():
            for chunk in chunks(values):
                for r in reads.IDENTIFIERS.all(self.conn, kind=kind, values=chunk):
                    owner = Owner(r["origin_id"], r["verified"], Row(r, new=False))
                    self.owners.setdefault((kind, r["value"]), []).append(owner)
            for value in values:
                self.owners.setdefault((kind, value), [])

    def load_anchors(self, refs: dict[str, set[str]]) -> None:
        """The interactions, cases and commitments named by their external ids."""
        for kind, ids in refs.items():
            for chunk in chunks(ids):
                for r in reads.ANCHORS[kind].all(self.conn, ids=chunk):
                    # rows already in memory may carry this batch's changes: keep them
                    self.anchors[kind].setdefault(r["external_id"], Row(r, new=False))

    def load_customers(self, ids: Iterable[str]) -> None:
        """Load customer rows, and the live customers of merged ones."""
        missing = [i for i in ids if i not in self.customers]
        roots: set[str] = set()
        for chunk in chunks(missing):
            for r in reads.CUSTOMERS.all(self.conn, ids=chunk):
                self.customers[r["id"]] = Row(r, new=False)
                if r["status"] == "merged" and r["merged_into"] not in self.customers:
                    roots.add(r["merged_into"])
        if roots:
            self.load_customers(roots)

    def members(self, origin_id: str) -> list[str]:
        """Every record of the live customer ``origin_id`` belongs to, itself included:
        what the relatives rules judge a customer by."""
        root = self.live(origin_id)
        stored = self._stored_members.get(root)
        if stored is None and self.customers[root].new:
            stored = set()  # new in this batch: nothing stored was merged into it
        if stored is None:
            rows = reads.MERGED_INTO.rows(self.conn, ids=[root])
            stored = self._stored_members[root] = {record for record, _ in rows}
        return sorted({root, *stored, *self._joined.get(root, ())})

    def join_new(self, record: str, root: str) -> None:
        """This batch's new ``record`` joins customer ``root``."""
        self.customers[record].set(status="merged", merged_into=root)
        self._joined.setdefault(root, set()).add(record)

    def live(self, origin_id: str) -> str:
        """The live customer a record belongs to now (its row read if not yet loaded)."""
        if origin_id not in self.customers:
            self.load_customers([origin_id])
        row = self.customers[origin_id].values
        return str(row["merged_into"]) if row["status"] == "merged" else origin_id

    # -- customers and what is known of them ----------------------------------------

    def new_record(self, event: ev.Event) -> str:
        """A new customer record for the person ``event`` names; returns its id."""
        origin = stable_id("cus", event.source, event.id)
        if origin not in self.customers:
            values = new_row(
                t.customers, id=origin, traits={}, created_at=event.time, updated_at=event.time
            )
            self.customers[origin] = Row(values, new=True)
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
        (verified) or resolution found it shared (``share``): a household phone; or if it
        was kept as written (it is what this event said, and shared it names nobody).
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
            if owners and not ident.verified and key not in share and ident.quality != UNNORMALISED:
                # Held by someone else: only a source that vouches for it may share it. Text
                # kept as written is held by whoever wrote it: held twice, it names nobody
                # ("n/a" written in the email field of many people).
                continue
            values = new_row(
                t.identifiers,
                id=stable_id("idn", origin, *key),
                customer_id=landing.customer_id,
                origin_id=origin,
                kind=ident.kind,
                value=ident.value,
                verified=ident.verified,
                quality=ident.quality,
                source=event.source,
                first_seen_at=event.time,
            )
            owners.append(Owner(origin, ident.verified, Row(values, new=True)))
            if ident.quality != UNNORMALISED:  # kept as written: matched as written only
                self.index.add_identifier(origin, ident.kind, ident.value, ident.verified)
        if ref.traits is not None:
            self.record_facts(
                ref.traits.model_dump(mode="json", exclude_none=True),
                landing,
                event,
                sensitive=frozenset(ref.sensitive),
                kind=ref.provenance,
                verified=ref.traits_verified,
                confidence=ref.confidence,
            )

    def record_facts(
        self,
        given: dict[str, Any],
        landing: Landing,
        event: ev.Event,
        sensitive: frozenset[str] = frozenset(),
        kind: str = RECORD,
        verified: bool = False,
        confidence: float | None = None,
        by: str | None = None,
    ) -> None:
        """Keep each value as a fact (source, time, how it came to be known); fold it into
        the record's own traits and the live customer's (see
        :mod:`warmline.domain.profile.traits`)."""
        if not given:
            return
        facts = [
            Fact(k, v, event.source, event.time, k in sensitive, kind, verified, confidence, by)
            for k, v in given.items()
        ]
        for fact in facts:
            self.insert(
                t.facts,
                id=stable_id("fct", event.source, event.id, fact.key),
                customer_id=landing.customer_id,
                origin_id=landing.origin_id,
                key=fact.key,
                value=fact.value,
                source=fact.source,
                sensitive=fact.sensitive,
                observed_at=fact.at,
                kind=fact.kind,
                verified=fact.verified,
                confidence=fact.confidence,
                recorded_by=fact.by,
            )
        self.index.record_facts(landing.origin_id, facts)
        for customer_id in dict.fromkeys((landing.customer_id, landing.origin_id)):
            customer = self.customers[customer_id]
            traits = dict(customer.values["traits"])
            for fact in facts:
                fold_fact(traits, fact)
            columns = trait_columns(traits)
            if _segment(traits) != _segment(customer.values["traits"]):
                self.touched.customers.add(customer_id)  # every contribution's segment
            if columns["name"] != customer.values["name"]:
                self.renamed.add(customer_id)
            customer.set(
                traits=traits, updated_at=max(customer.values["updated_at"], event.time), **columns
            )

    # -- interactions, cases and commitments ---------------------------------------------

    def anchor(self, kind: str, external_id: str, landing: Landing, event: ev.Event) -> Row:
        """The ``kind`` (interaction, case, commitment) ``external_id``: a placeholder on
        ``landing`` if this event is the first news of it."""
        row = self.anchors[kind].get(external_id)
        if row is None:
            values = new_row(
                ANCHOR_TABLES[kind],
                id=stable_id(_ID_PREFIXES[kind], external_id),
                external_id=external_id,
                customer_id=landing.customer_id,
                origin_id=landing.origin_id,
                source=event.source,
                **dict.fromkeys(_FIRST_SEEN[kind], event.time),
            )
            row = self.anchors[kind][external_id] = Row(values, new=True)
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

    def insert(self, table: sa.Table, **values: Any) -> dict[str, Any]:
        """A new row of ``table`` (its other columns at their defaults), written at the end."""
        row = new_row(table, **values)
        self.inserts[table].append(row)
        return row

    def created_anchor_keys(self) -> list[str]:
        return [
            f"{kind}:{external_id}"
            for kind, rows in self.anchors.items()
            for external_id, row in rows.items()
            if row.new
        ]

    # -- writing -----------------------------------------------------------------------

    def write(self) -> None:
        """Write everything this batch changed: inserts first, then updates, table by table."""
        self._note_touched()
        _write_rows(self.conn, t.customers, self.customers.values())
        for kind, table in ANCHOR_TABLES.items():
            _write_rows(self.conn, table, self.anchors[kind].values())
        owned = (o.row for owners in self.owners.values() for o in owners)
        _write_rows(self.conn, t.identifiers, owned)
        self._write_name_tokens()
        for table, rows in self.inserts.items():
            if rows:
                insert_rows(self.conn, table, rows)
        self.inserts.clear()
        self.index.flush()

    def _note_touched(self) -> None:
        touched = self.touched
        for kind, ids in (
            ("interaction", touched.interactions),
            ("case", touched.cases),
            ("commitment", touched.commitments),
        ):
            for row in self.anchors[kind].values():
                if row.new or row.dirty:
                    ids.add(row.values["id"])
                    touched.risk.add(row.values["customer_id"])
        touched.feedback.update(r["id"] for r in self.inserts.get(t.feedback, []))
        for table in (t.feedback, t.activities, t.messages):
            touched.risk.update(r["customer_id"] for r in self.inserts.get(table, []))

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


def _segment(traits: dict[str, Any] | None) -> Any:
    return ((traits or {}).get("segment") or {}).get("value")


def _write_rows(conn: Connection, table: sa.Table, rows: Iterable[Row]) -> None:
    new, changed = [], []
    for row in rows:
        if row.new:
            new.append(row.values)
        elif row.dirty:
            changed.append({f"b_{k}": v for k, v in row.values.items()})
        row.new = row.dirty = False
    if new:
        insert_rows(conn, table, new)
    if changed:
        columns = [c.name for c in table.columns if c.name != "id"]
        statement = (
            table.update()
            .where(table.c.id == sa.bindparam("b_id"))
            .values({c: sa.bindparam(f"b_{c}") for c in columns})
        )
        conn.execute(statement, changed)


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
        insert_rows(conn, t.name_tokens, rows)
