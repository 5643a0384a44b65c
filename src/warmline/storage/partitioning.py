"""The memory laid out for more than one machine: every table of :mod:`schema` classified,
and a PostgreSQL variant of the schema hash-partitioned by ``customer_id`` built from it.

Nothing in Warmline runs on this layout today; it is what ``benchmarks/partitioning.py``
builds to show, with ``EXPLAIN``, which reads and writes stay inside one customer's
partition, and what ``docs/scale.md`` describes. The DDL is generated from
:data:`schema.metadata`, never copied, so the layout follows the schema: a table added
without a place here makes :func:`layouts` raise.

Kinds of table:

* ``customer``: hash-partitioned by the customer (``customer_id``; the ``id`` of
  ``customers``; the record id ``origin_id`` of the matching index). Every primary and
  unique key is made to lead with that column, as Citus needs of a distributed table.
* ``time``: the audit log, one hash chain in ``id`` order, range-partitioned by month.
* ``reference``: small configuration read everywhere (keys, branches, models, articles):
  left whole (a Citus reference table, copied to every node).
* ``global``: grows but is not one customer's (queues read in ``id`` order, rate limits,
  merges between two customers, aggregates): left whole on one node.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.storage import schema

Kind = Literal["customer", "time", "reference", "global"]


@dataclass(frozen=True, slots=True)
class Layout:
    """Where one table goes: its kind, the column it is partitioned by, and why."""

    table: str
    kind: Kind
    column: str | None
    why: str


#: Tables placed by hand; any other table with a ``customer_id`` is partitioned by it.
_PLACED: dict[str, tuple[Kind, str | None, str]] = {
    "customers": ("customer", "id", "the customer row itself: its id is the customer id"),
    "match_profiles": (
        "customer",
        "origin_id",
        "one per customer record; origin_id is a customer id (the record's own)",
    ),
    "match_keys": (
        "customer",
        "origin_id",
        "blocking keys of one customer record; looked up by key when matching",
    ),
    "audit_log": (
        "time",
        "at",
        "one hash chain in id order: months, not customers, so appending stays in one place",
    ),
    "desk_pushes": ("global", None, "a queue each desk reads by agent in id order; short-lived"),
    "outbox": ("global", None, "the webhook outbox, drained in id order by status"),
    "derived_due": (
        "global",
        None,
        "rollups and risk scores due after contact starts, drained in id order; short-lived",
    ),
    "webhook_deliveries": ("global", None, "per-receiver delivery queue, read by status"),
    "visits": ("global", None, "a branch's queue of the day, read by branch and status"),
    "continuation_attempts": ("global", None, "rate limits by key and address; pruned"),
    "merges": ("global", None, "joins two customers (from_id, into_id); few rows"),
    "erased_events": ("global", None, "hashes of erased events, looked up by hash at ingest"),
    "metric_rollups": ("global", None, "aggregates by day and dimension, over customers"),
    "phone_codes": ("global", None, "SMS check-in codes, short-lived, by phone hash"),
    "connector_gaps": ("global", None, "what connectors' deliveries lacked; per connector"),
    "article_feedback": ("global", None, "agents' votes on articles; per article"),
    "api_keys": ("reference", None, "keys: read on every request"),
    "desk_sessions": ("reference", None, "desk sign-ins: read on every desk request"),
    "signing_keys": ("reference", None, "one row per purpose"),
    "connectors": ("reference", None, "configured integrations"),
    "webhook_subscriptions": ("reference", None, "configured receivers"),
    "match_models": ("reference", None, "trained matching models"),
    "insight_models": ("reference", None, "trained reason models"),
    "articles": ("reference", None, "the knowledge base"),
    "article_versions": ("reference", None, "the knowledge base's history"),
    "branches": ("reference", None, "branch setup"),
    "sittings": ("reference", None, "who sits at which service point"),
    "metric_state": ("reference", None, "one row"),
}


def layouts(metadata: sa.MetaData = schema.metadata) -> list[Layout]:
    """Every table's place, in dependency order; raises for a table with no place."""
    out = []
    for table in metadata.sorted_tables:
        if table.name in _PLACED:
            kind, column, why = _PLACED[table.name]
        elif "customer_id" in table.c:
            kind, column, why = "customer", "customer_id", "one customer's rows"
        else:
            raise ValueError(
                f"table {table.name!r} has no customer_id and no place in "
                "warmline.storage.partitioning: add it to _PLACED (reference or global)"
            )
        if column is not None and column not in table.c:
            raise ValueError(f"table {table.name!r} has no column {column!r} to partition by")
        out.append(Layout(table.name, kind, column, why))
    return out


@dataclass(frozen=True, slots=True)
class KeyChange:
    """A key of the real schema that a partitioned table cannot keep as it is."""

    table: str
    kind: Literal["primary", "unique"]
    before: tuple[str, ...]
    after: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.table}: {self.kind} ({', '.join(self.before)}) -> ({', '.join(self.after)})"


@dataclass
class PartitionedSchema:
    """The partitioned variant of the schema: its metadata, the key changes it needed, and
    the partitions to create once the parents exist."""

    metadata: sa.MetaData
    layouts: dict[str, Layout]
    changes: list[KeyChange]
    partitions: dict[str, list[str]]  # parent -> CREATE TABLE ... PARTITION OF statements

    def create(self, conn: Connection) -> None:
        """Create every table, index and partition on ``conn`` (an empty PostgreSQL schema)."""
        self.metadata.create_all(conn)
        for statements in self.partitions.values():
            for statement in statements:
                conn.execute(sa.text(statement))


def partitioned_schema(
    partitions: int, *, now: dt.datetime | None = None, months: int = 3
) -> PartitionedSchema:
    """The schema with customer tables split into ``partitions`` hash partitions and the
    audit log into one partition a month from ``months`` before ``now`` to ``months``
    after, plus a default for rows outside them."""
    if partitions < 1:
        raise ValueError("partitions must be at least 1")
    metadata = sa.MetaData(naming_convention=schema.metadata.naming_convention)
    placed = {layout.table: layout for layout in layouts()}
    changes: list[KeyChange] = []
    statements: dict[str, list[str]] = {}
    for table in schema.metadata.sorted_tables:
        layout = placed[table.name]
        copy = table.to_metadata(metadata)
        if layout.column is None:
            continue
        if layout.kind == "time":
            changes.extend(_key_with(copy, layout.column, lead=False))
            copy.dialect_options["postgresql"]["partition_by"] = f"RANGE ({layout.column})"
            statements[table.name] = list(_month_partitions(table.name, now, months))
        else:
            changes.extend(_key_with(copy, layout.column, lead=True))
            copy.dialect_options["postgresql"]["partition_by"] = f"HASH ({layout.column})"
            statements[table.name] = [
                f"CREATE TABLE {table.name}_p{i} PARTITION OF {table.name} "
                f"FOR VALUES WITH (MODULUS {partitions}, REMAINDER {i})"
                for i in range(partitions)
            ]
    return PartitionedSchema(metadata, placed, changes, statements)


def _key_with(table: sa.Table, column: str, *, lead: bool) -> list[KeyChange]:
    """Make the primary key and every unique key of ``table`` hold ``column`` (a
    partitioned table can only enforce keys that hold the partition column), first when
    ``lead`` (as Citus places a customer's rows), else last (the audit log keeps its ``id``
    order). A nullable partition column cannot be in a primary key: that key becomes a
    unique one."""
    changes = []
    key = table.c[column]
    before = tuple(c.name for c in table.primary_key.columns)
    rest = tuple(name for name in before if name != column)
    after = (column, *rest) if lead else (*rest, column)
    if before != after:
        kind: Literal["primary", "unique"] = "primary"
        for held in table.primary_key.columns:
            held.primary_key = False
        if key.nullable:
            if (auto := table.autoincrement_column) is not None:
                # Out of the primary key it is no longer a serial: number it from a sequence.
                sequence = sa.Sequence(f"{table.name}_{auto.name}_seq", metadata=table.metadata)
                sa.DefaultClause(sequence.next_value())._set_parent(auto)
            table.append_constraint(sa.PrimaryKeyConstraint())
            table.append_constraint(sa.UniqueConstraint(*after, name=f"uq_{table.name}_key"))
            kind = "unique"
        else:
            table.append_constraint(sa.PrimaryKeyConstraint(*after, name=f"pk_{table.name}"))
        changes.append(KeyChange(table.name, kind, before, after))
    for constraint in [c for c in table.constraints if isinstance(c, sa.UniqueConstraint)]:
        names = tuple(c.name for c in constraint.columns)
        if column in names or constraint.name == f"uq_{table.name}_key":
            continue
        table.constraints.discard(constraint)
        for held in constraint.columns:
            held.unique = False
        led = (column, *names)
        table.append_constraint(sa.UniqueConstraint(*led, name=f"uq_{table.name}_{'_'.join(led)}"))
        changes.append(KeyChange(table.name, "unique", names, led))
    return changes


def _month_partitions(name: str, now: dt.datetime | None, months: int) -> Iterator[str]:
    today = (now or dt.datetime.now(dt.UTC)).date().replace(day=1)
    first = _add_months(today, -months)
    for k in range(2 * months + 1):
        start, end = _add_months(first, k), _add_months(first, k + 1)
        yield (
            f"CREATE TABLE {name}_{start:%Y_%m} PARTITION OF {name} "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
    yield f"CREATE TABLE {name}_default PARTITION OF {name} DEFAULT"


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def citus_statements(layout: PartitionedSchema) -> list[str]:
    """What would distribute the partitioned memory with Citus (run on its coordinator,
    after the tables exist; not run by Warmline): each customer table distributed on its
    partition column and colocated with ``customers``, each reference table copied to every
    node; the global tables and the audit log stay on the coordinator."""
    anchor = "customers"
    out = [f"SELECT create_distributed_table('{anchor}', '{layout.layouts[anchor].column}')"]
    for name, lay in layout.layouts.items():
        if lay.kind == "customer" and name != anchor:
            out.append(
                f"SELECT create_distributed_table('{name}', '{lay.column}', "
                f"colocate_with => '{anchor}')"
            )
        elif lay.kind == "reference":
            out.append(f"SELECT create_reference_table('{name}')")
    return out


# -- reading plans ---------------------------------------------------------------------------


def partition_parents(conn: Connection) -> dict[str, str]:
    """Each partition's parent table, by name."""
    rows = conn.execute(
        sa.text(
            "SELECT c.relname, p.relname FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE c.relkind IN ('r', 'p')"
        )
    )
    return {str(child): str(parent) for child, parent in rows}


def relations_in_plan(plan: Any) -> set[str]:
    """Every relation an ``EXPLAIN (FORMAT JSON)`` plan reads or writes, by name."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            if isinstance(name := node.get("Relation Name"), str):
                found.add(name)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(plan)
    return found


def touched(relations: set[str], parents: Mapping[str, str]) -> dict[str, set[str]]:
    """The relations of a plan grouped by table: ``{table: partitions}`` (an unpartitioned
    table maps to an empty set)."""
    out: dict[str, set[str]] = {}
    for name in relations:
        parent = parents.get(name)
        if parent is None:
            out.setdefault(name, set())
        else:
            out.setdefault(parent, set()).add(name)
    return out


def explain(conn: Connection, sql: str, parameters: Any) -> Any:
    """The plan PostgreSQL makes for ``sql`` with ``parameters`` (as the driver got them),
    without running it."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", parameters)
        return cursor.fetchone()[0]
    finally:
        cursor.close()
