"""Project a batch of validated events into the memory, set-based, in one transaction.

The projector loads everything the batch refers to in a handful of queries,
applies the events in memory in order, then writes each table with one
``executemany``. That keeps ingest close to the database's raw insert speed
while every event stays atomic (the caller owns the transaction).

Out-of-order events are handled, not dropped: an event about an interaction,
case or commitment that is not known yet either creates a placeholder (when it
names its customer) or waits in the raw log (``awaiting``) until the thing it
belongs to arrives, and is projected then.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline import events as ev
from warmline.actions.event_handlers import HANDLERS
from warmline.domain.identity import Holder, resolve
from warmline.domain.ids import stable_id
from warmline.domain.names import name_tokens
from warmline.storage import schema as t

CHUNK = 900  # stays under every SQLite build's bound-parameter limit


@dataclass(slots=True)
class Row:
    """A row being built or changed in this batch."""

    values: dict[str, Any]
    new: bool
    dirty: bool = False

    def set(self, **changes: Any) -> None:
        self.values.update(changes)
        self.dirty = True


@dataclass(slots=True)
class Outcome:
    customer_id: str | None
    awaiting: str | None = None


@dataclass
class _Owner:
    customer_id: str
    verified: bool
    row: Row


@dataclass
class Projector:
    """One batch's projection state. Use :meth:`run` with events that are not stored yet."""

    conn: Connection
    region: str = "GB"
    customers: dict[str, Row] = field(default_factory=dict)
    owners: dict[tuple[str, str], list[_Owner]] = field(default_factory=dict)
    anchors: dict[str, dict[str, Row]] = field(
        default_factory=lambda: {"interaction": {}, "case": {}, "commitment": {}}
    )
    inserts: dict[sa.Table, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    renamed: set[str] = field(default_factory=set)

    # -- loading -----------------------------------------------------------------

    def preload(self, batch: Sequence[ev.Event]) -> None:
        """Fetch every identifier, interaction, case and commitment the batch mentions."""
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
        customer_ids = {o.customer_id for owners in self.owners.values() for o in owners}
        for rows in self.anchors.values():
            customer_ids.update(r.values["customer_id"] for r in rows.values())
        self._load_customers(customer_ids)

    def _lock(self, idents: set[tuple[str, str]], refs: dict[str, set[str]]) -> None:
        """PostgreSQL: serialise concurrent batches that touch the same identifiers or things."""
        if self.conn.dialect.name != "postgresql":
            return  # SQLite writers already hold the database write lock (BEGIN IMMEDIATE)
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
        i = t.identifiers
        for kind, values in by_kind.items():
            for chunk in chunks(values):
                query = sa.select(i).where(i.c.kind == kind, i.c.value.in_(chunk))
                for r in self.conn.execute(query).mappings():
                    row = Row(dict(r), new=False)
                    owner = _Owner(r["customer_id"], r["verified"], row)
                    self.owners.setdefault((kind, r["value"]), []).append(owner)
            for value in values:
                self.owners.setdefault((kind, value), [])

    def _load_anchors(self, refs: dict[str, set[str]]) -> None:
        tables = {"interaction": t.interactions, "case": t.cases, "commitment": t.commitments}
        for kind, ids in refs.items():
            table = tables[kind]
            for chunk in chunks(ids):
                query = sa.select(table).where(table.c.external_id.in_(chunk))
                for r in self.conn.execute(query).mappings():
                    # rows already in memory may carry this batch's changes: keep them
                    self.anchors[kind].setdefault(r["external_id"], Row(dict(r), new=False))

    def _load_customers(self, ids: Iterable[str]) -> None:
        missing = [i for i in ids if i not in self.customers]
        for chunk in chunks(missing):
            query = sa.select(t.customers).where(t.customers.c.id.in_(chunk))
            for r in self.conn.execute(query).mappings():
                self.customers[r["id"]] = Row(dict(r), new=False)

    # -- applying ------------------------------------------------------------------

    def apply(self, event: ev.Event) -> Outcome:
        """Apply one event to the in-memory state; say which customer it landed on."""
        p = event.payload
        anchor = p.anchor()
        anchored = self.anchors[anchor[0]].get(anchor[1]) if anchor else None
        if anchored is not None:
            customer_id: str = anchored.values["customer_id"]
        elif p.customer is not None:
            customer_id = self._resolve(p.customer, event)
        else:
            assert anchor is not None  # the payload validator guarantees customer or anchor
            return Outcome(None, awaiting=f"{anchor[0]}:{anchor[1]}")
        if p.customer is not None:
            self._learn(p.customer, customer_id, event)
        HANDLERS[event.type](self, event, customer_id)
        return Outcome(customer_id)

    def _resolve(self, ref: ev.CustomerRef, event: ev.Event) -> str:
        """The customer the event names (:func:`resolve`), or a new customer."""
        idents = [i.to_identifier() for i in ref.identifiers]
        holders = {
            (i.kind, i.value): [
                Holder(o.customer_id, o.verified) for o in self.owners[(i.kind, i.value)]
            ]
            for i in idents
        }
        found = resolve(idents, holders)
        if found.customer_id is not None:
            return found.customer_id
        customer_id = stable_id("cus", event.source, event.id)
        self.customers[customer_id] = Row(
            {
                "id": customer_id,
                "status": "active",
                "merged_into": None,
                "name": None,
                "preferred_name": None,
                "customer_since": None,
                "traits": {},
                "created_at": event.time,
                "updated_at": event.time,
            },
            new=True,
        )
        return customer_id

    def _learn(self, ref: ev.CustomerRef, customer_id: str, event: ev.Event) -> None:
        """Add new identifiers (shared ones only if verified), confirm verification, traits."""
        for ident in ref.identifiers:
            key = (ident.kind, ident.value)
            owners = self.owners[key]
            mine = next((o for o in owners if o.customer_id == customer_id), None)
            if mine is not None:
                if ident.verified and not mine.verified:
                    mine.verified = True
                    mine.row.set(verified=True)
                continue
            if owners and not ident.verified:
                continue  # held by someone else: only a source that vouches for it may share it
            row = Row(
                {
                    "id": stable_id("idn", customer_id, *key),
                    "customer_id": customer_id,
                    "kind": ident.kind,
                    "value": ident.value,
                    "verified": ident.verified,
                    "source": event.source,
                    "first_seen_at": event.time,
                },
                new=True,
            )
            owners.append(_Owner(customer_id, ident.verified, row))
        if ref.traits is not None:
            self.record_facts(
                ref.traits.model_dump(mode="json", exclude_none=True),
                customer_id,
                event,
                sensitive=frozenset(ref.sensitive),
            )

    def record_facts(
        self,
        given: dict[str, Any],
        customer_id: str,
        event: ev.Event,
        sensitive: frozenset[str] = frozenset(),
    ) -> None:
        """Keep each value as a fact (source, time); the newest per key becomes the trait.

        A trait the source marked sensitive stays sensitive (masked for agents) from then on.
        """
        if not given:
            return
        customer = self.customers[customer_id]
        known = dict(customer.values["traits"])
        for key, value in given.items():
            self.inserts[t.facts].append(
                {
                    "id": stable_id("fct", event.source, event.id, key),
                    "customer_id": customer_id,
                    "key": key,
                    "value": value,
                    "source": event.source,
                    "observed_at": event.time,
                }
            )
            current = known.get(key)
            if current is None or current["at"] <= event.time.isoformat():
                entry = {"value": value, "source": event.source, "at": event.time.isoformat()}
                if key in sensitive or (current or {}).get("sensitive"):
                    entry["sensitive"] = True
                known[key] = entry
        columns = {
            "name": _trait(known, "name"),
            "preferred_name": _trait(known, "preferred_name"),
            "customer_since": _date(_trait(known, "customer_since")),
        }
        if columns["name"] != customer.values["name"]:
            self.renamed.add(customer_id)
        customer.set(
            traits=known, updated_at=max(customer.values["updated_at"], event.time), **columns
        )

    # -- anchors ---------------------------------------------------------------------

    def interaction(self, external_id: str, customer_id: str, event: ev.Event) -> Row:
        """The interaction ``external_id``; a placeholder if this is the first news of it."""
        row = self.anchors["interaction"].get(external_id)
        if row is None:
            row = Row(
                {
                    "id": stable_id("int", external_id),
                    "external_id": external_id,
                    "customer_id": customer_id,
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
                },
                new=True,
            )
            self.anchors["interaction"][external_id] = row
        return row

    def case(self, external_id: str, customer_id: str, event: ev.Event) -> Row:
        row = self.anchors["case"].get(external_id)
        if row is None:
            row = Row(
                {
                    "id": stable_id("case", external_id),
                    "external_id": external_id,
                    "customer_id": customer_id,
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
                },
                new=True,
            )
            self.anchors["case"][external_id] = row
        return row

    def commitment(self, external_id: str, customer_id: str, event: ev.Event) -> Row:
        row = self.anchors["commitment"].get(external_id)
        if row is None:
            row = Row(
                {
                    "id": stable_id("cmt", external_id),
                    "external_id": external_id,
                    "customer_id": customer_id,
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
        for chunk in chunks(existing):
            self.conn.execute(t.name_tokens.delete().where(t.name_tokens.c.customer_id.in_(chunk)))
        rows = [
            {"token": token, "customer_id": cid}
            for cid in self.renamed
            for token in name_tokens(self.customers[cid].values["name"])
        ]
        if rows:
            self.conn.execute(t.name_tokens.insert(), rows)
        self.renamed.clear()


def _trait(known: dict[str, Any], key: str) -> Any:
    entry = known.get(key)
    return entry["value"] if entry else None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    """Split ``values`` into lists short enough for one IN (...) clause."""
    items = list(values)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
