"""Partitioning simulation: the memory hash-partitioned by customer on PostgreSQL, and which
partitions the card and ingest touch, read from ``EXPLAIN``.

On the PostgreSQL at ``--database-url`` (its ``public`` schema is DROPPED and recreated):

1. builds Warmline's schema with every customer table hash-partitioned by ``customer_id``
   into ``--partitions`` partitions (native declarative partitioning; the DDL generated
   from the real schema by :mod:`warmline.storage.partitioning`), the audit log by month,
   and reference and global tables whole; prints each table's place and every key the
   real schema would have to change;
2. loads ``--customers`` synthetic customers through the real ingest path
   (:func:`warmline.actions.ingest.ingest_events`, the generator of ``ingest.py``);
3. captures every statement (``before_cursor_execute``) while it finds a customer by
   phone, reads the card for a contact (:func:`warmline.serving.cards.read_card`:
   access funnel, card, knowledge, visits, the audit row) and ingests a new customer and
   a new interaction of a known customer; ``EXPLAIN (FORMAT JSON)`` of each captured
   statement, with its parameters, gives the partitions it reads or writes. Rows an
   ingest inserts go by ``COPY`` or by ``INSERT`` (routed at run time, invisible to
   ``EXPLAIN``), so the partitions they landed in are read back from the rows themselves
   (``xmin`` newer than the ingest);
4. reads ``--cards`` cards to size the audit log (bytes a row) and reports the memory's
   size a customer.

Prints a table per step and ends with one JSON line.

    scripts/with-postgres bash -c \\
        '.venv/bin/python benchmarks/partitioning.py --database-url "$WARMLINE_TEST_POSTGRES_URL"'
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine

from ingest import customer_events
from warmline.actions.ingest import ingest_events
from warmline.actions.merges import merge_customers
from warmline.config import Settings
from warmline.domain.access.roles import LOCAL_ADMIN, Actor, Role
from warmline.domain.ids import stable_id
from warmline.serving.cards import card_context, read_card
from warmline.storage import queries
from warmline.storage import schema as t
from warmline.storage.engine import make_engine
from warmline.storage.migrate import head_revision, upgrade
from warmline.storage.partitioning import (
    PartitionedSchema,
    citus_statements,
    explain,
    partition_parents,
    partitioned_schema,
    relations_in_plan,
    touched,
)

err = Console(stderr=True)
WARM_UP = 10**6  # customers numbered from here warm the path up
AGENT = Actor("key_partitioning", "partitioning", Role.AGENT)
EXPLAINABLE = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)


@dataclass
class Captured:
    sql: str
    parameters: Any
    many: bool


@dataclass
class Statement:
    """One captured statement and the partitions its plan reads or writes."""

    sql: str
    verb: str
    times: int
    tables: dict[str, set[str]]  # table -> partitions (empty: the table is whole)
    partitioned: dict[str, str]  # table -> its kind (customer, time)
    runtime_routed: bool = False

    def spread(self, kind: str = "customer") -> dict[str, int]:
        """Partitions touched per partitioned table of ``kind``."""
        return {
            name: len(parts)
            for name, parts in self.tables.items()
            if self.partitioned.get(name) == kind
        }

    @property
    def one_partition(self) -> bool:
        return all(n <= 1 for n in self.spread().values())

    def label(self) -> str:
        if not self.tables:
            return " ".join(self.sql.split())[:48]
        return f"{self.verb} {', '.join(sorted(self.tables))}"


@dataclass
class Step:
    name: str
    statements: list[Statement] = field(default_factory=list)
    written: dict[str, set[str]] = field(default_factory=dict)  # table -> partitions written
    after: dict[str, int] = field(default_factory=dict)  # table -> partitions holding the live

    def summary(self, partitions: int) -> dict[str, Any]:
        crossing = [s for s in self.statements if not s.one_partition]
        return {
            "statements": sum(s.times for s in self.statements),
            "distinct": len(self.statements),
            "one_partition": sum(1 for s in self.statements if s.one_partition),
            "crossing": [
                {"statement": s.label(), "partitions": s.spread(), "sql": s.sql[:300]}
                for s in crossing
            ],
            "written": {name: len(parts) for name, parts in sorted(self.written.items())},
            "live_customer_partitions_after": self.after,
            "partitions": partitions,
        }


# -- building -----------------------------------------------------------------------------


def build(engine: Engine, partitions: int) -> PartitionedSchema:
    """A fresh ``public`` schema holding the partitioned memory, stamped at the head
    revision (the schema is the head's, partitioned)."""
    layout = partitioned_schema(partitions)
    reset(engine)
    with engine.begin() as conn:
        layout.create(conn)
        conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO alembic_version VALUES (:v)"), {"v": head_revision()})
    return layout


def load(engine: Engine, customers: range, interactions: int, seed: int) -> int:
    """Ingest the customers' events, a batch of up to 500 at a time; the events stored."""
    stored, batch = 0, []
    for n in customers:
        batch.extend(s.envelope for s in customer_events(seed, n, interactions, False))
        if len(batch) >= 500 or n == customers[-1]:
            stored += ingest_checked(engine, batch)
            batch = []
    return stored


def ingest_checked(engine: Engine, envelopes: list[dict[str, Any]]) -> int:
    result = ingest_events(engine, envelopes, insight=False)
    bad = [r for r in result.items if r.status == "rejected"]
    if bad:
        raise SystemExit(f"ingest rejected {len(bad)} events, e.g. {bad[0]}")
    return result.stored


# -- capturing and explaining -------------------------------------------------------------


@contextmanager
def capture(engine: Engine) -> Iterator[list[Captured]]:
    """Every statement sent to the database on ``engine`` while inside."""
    seen: list[Captured] = []

    def listen(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        seen.append(Captured(sql, params, many))

    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)


def explained(
    engine: Engine, captured: list[Captured], layout: PartitionedSchema
) -> list[Statement]:
    """Each distinct explainable statement (by text, with its first parameters) and the
    partitions its plan touches."""
    kinds = {name: lay.kind for name, lay in layout.layouts.items() if lay.column}
    out: dict[str, Statement] = {}
    with engine.connect() as conn:
        parents = partition_parents(conn)
        for item in captured:
            if not EXPLAINABLE.match(item.sql):
                continue
            if item.sql in out:
                out[item.sql].times += 1
                continue
            params = item.parameters[0] if item.many else item.parameters
            plan = explain(conn, item.sql, params)
            conn.rollback()
            tables = touched(relations_in_plan(plan), parents)
            verb = item.sql.split(None, 1)[0].upper()
            routed = verb == "INSERT" and any(name in kinds for name in tables)
            partitioned = {name: kinds[name] for name in tables if name in kinds}
            out[item.sql] = Statement(item.sql, verb, 1, tables, partitioned, routed)
    return list(out.values())


def since_xid(engine: Engine) -> int:
    with engine.begin() as conn:
        return int(conn.execute(sa.text("SELECT txid_current()")).scalar_one())


def written_since(engine: Engine, xid: int, layout: PartitionedSchema) -> dict[str, set[str]]:
    """The partitions holding a row inserted or updated after transaction ``xid``, per
    partitioned table (``xmin`` is the transaction that wrote the row's current version;
    a fresh cluster has not wrapped its transaction ids)."""
    out: dict[str, set[str]] = {}
    with engine.connect() as conn:
        for name, lay in layout.layouts.items():
            if lay.column is None:
                continue
            rows = conn.execute(
                sa.text(
                    f"SELECT DISTINCT tableoid::regclass::text FROM {name} "
                    "WHERE xmin::text::bigint > :xid"
                ),
                {"xid": xid},
            )
            if parts := {row[0] for row in rows}:
                out[name] = parts
    return out


# -- the steps ----------------------------------------------------------------------------


def phone_of(seed: int, n: int) -> str:
    identified = customer_events(seed, n, 0, False)[0].envelope
    ids = identified["data"]["customer"]["identifiers"]
    return next(i["value"] for i in ids if i["kind"] == "phone")


def customer_of(n: int) -> str:
    return stable_id("cus", "crm", f"cus-{n}")


def find_and_read(
    engine: Engine, settings: Settings, layout: PartitionedSchema, seed: int, n: int
) -> tuple[Step, Step]:
    """Find customer ``n`` by phone (as a contact starts), then read their card for their
    latest interaction."""
    with capture(engine) as found, engine.connect() as conn:
        ids = queries.customers_by_identifier(conn, "phone", phone_of(seed, n))
    if ids != [customer_of(n)]:
        raise SystemExit(f"finding customer {n} by phone gave {ids}")
    with engine.connect() as conn:
        latest = conn.execute(
            sa.select(t.interactions.c.id)
            .where(t.interactions.c.customer_id == ids[0])
            .order_by(t.interactions.c.started_at.desc())
            .limit(1)
        ).scalar()
    ctx = card_context(settings, interaction_id=latest)
    with capture(engine) as read, engine.connect() as conn:
        card = read_card(conn, engine, AGENT, ids[0], ctx)
    if card is None or card["customer"]["id"] != ids[0]:
        raise SystemExit(f"no card for customer {n}")
    return (
        Step("find by phone", explained(engine, found, layout)),
        Step("card", explained(engine, read, layout)),
    )


def partition_of(engine: Engine, table: str, column: str, value: str) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(f"SELECT DISTINCT tableoid::regclass::text FROM {table} WHERE {column} = :v"),
            {"v": value},
        )
        return {row[0] for row in rows}


def merge_step(engine: Engine, layout: PartitionedSchema, customers: int) -> Step:
    """Merge two customers of different partitions: their rows move to the live one's
    partition (PostgreSQL moves a row whose partition key changes)."""
    into = customer_of(0)
    home = partition_of(engine, "customers", "id", into)
    other = next(
        n
        for n in range(1, customers)
        if partition_of(engine, "customers", "id", customer_of(n)) != home
    )
    before = since_xid(engine)
    with capture(engine) as seen:
        merge_customers(
            engine, from_id=customer_of(other), into_id=into, actor=LOCAL_ADMIN,
            reason="partitioning simulation", override_conflicts=True,
        )  # fmt: skip
    step = Step("merge two customers", explained(engine, seen, layout))
    step.written = written_since(engine, before, layout)
    step.after = {
        table: len(partition_of(engine, table, "customer_id", into))
        for table in ("interactions", "messages", "identifiers")
    }
    return step


def ingest_step(
    engine: Engine, layout: PartitionedSchema, name: str, envelopes: list[dict[str, Any]]
) -> Step:
    before = since_xid(engine)
    with capture(engine) as seen:
        stored = ingest_checked(engine, envelopes)
    if not stored:
        raise SystemExit(f"{name}: nothing new was stored")
    step = Step(name, explained(engine, seen, layout))
    step.written = written_since(engine, before, layout)
    return step


@dataclass
class Clock:
    """Wall time, this process's CPU and the database server's CPU over a stretch."""

    engine: Engine
    wall: float = 0.0
    client: float = 0.0
    server: float | None = None

    def __enter__(self) -> Clock:
        self._wall, self._client = time.perf_counter(), time.process_time()
        self._server = server_cpu(self.engine)
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.client = time.process_time() - self._client
        after = server_cpu(self.engine)
        if self._server is not None and after is not None:
            self.server = after - self._server


def server_cpu(engine: Engine) -> float | None:
    """CPU seconds the PostgreSQL server has used (its processes, and those it has reaped),
    when it runs on this machine; None otherwise."""
    with engine.connect() as conn:
        backend = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    try:
        postmaster = int(_stat(backend)[1])
        ticks = os.sysconf("SC_CLK_TCK")
        own = _stat(postmaster)
        total = sum(int(x) for x in own[11:15])  # utime, stime, cutime, cstime
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != postmaster:
                try:
                    fields = _stat(int(entry))
                except OSError:
                    continue
                if int(fields[1]) == postmaster:
                    total += int(fields[11]) + int(fields[12])
        return total / ticks
    except (OSError, ValueError):
        return None


def _stat(pid: int) -> list[str]:
    """``/proc/<pid>/stat`` from the state field on (the name may hold spaces)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def relation_bytes(engine: Engine, names: list[str]) -> int:
    """Bytes on disk of the tables (their partitions, indexes and TOAST)."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                    "WHERE c.oid = ANY(CAST(:names AS regclass[])) OR c.oid IN "
                    "(SELECT inhrelid FROM pg_inherits "
                    " WHERE inhparent = ANY(CAST(:names AS regclass[])))"
                ),
                {"names": names},
            ).scalar_one()
        )


def per(value: float | None, count: int, scale: float = 1.0) -> float | None:
    return None if value is None else round(value * scale / max(count, 1), 4)


def measure(
    engine: Engine, settings: Settings, args: argparse.Namespace, customer_tables: list[str]
) -> dict[str, Any]:
    """Load the customers through ingest and read ``--cards`` cards, timed, on the schema
    in place; the rates, the CPU each took (here and in the server) and the bytes written."""
    # Warm up (imports, caches, the pool) on a customer no step uses, untimed.
    load(engine, range(WARM_UP, WARM_UP + 2), args.interactions_per_customer, args.seed)
    empty = relation_bytes(engine, customer_tables)
    with Clock(engine) as loading:
        events = load(engine, range(args.customers), args.interactions_per_customer, args.seed)
    memory = relation_bytes(engine, customer_tables) - empty
    rng = random.Random(args.seed)
    for n in range(min(args.cards, 10)):
        with engine.connect() as conn:
            read_card(conn, engine, AGENT, customer_of(n % args.customers), card_context(settings))
    with engine.connect() as conn:
        rows_before = conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one()
    audit_before = relation_bytes(engine, ["audit_log"])
    with Clock(engine) as reading:
        for _ in range(args.cards):
            with engine.connect() as conn:
                card = read_card(conn, engine, AGENT, customer_of(rng.randrange(args.customers)),
                                 card_context(settings))  # fmt: skip
            if card is None:
                raise SystemExit("a loaded customer has no card")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one() - rows_before
        tuple_bytes = conn.execute(
            sa.text("SELECT avg(pg_column_size(a.*)) FROM audit_log a")
        ).scalar_one()
    audit = relation_bytes(engine, ["audit_log"]) - audit_before
    return {
        "ingest": {
            "events": events,
            "events_per_s": round(events / loading.wall, 1),
            "client_cpu_ms_per_event": per(loading.client, events, 1000),
            "server_cpu_ms_per_event": per(loading.server, events, 1000),
        },
        "card": {
            "cards": args.cards,
            "cards_per_s": round(args.cards / reading.wall, 1),
            "client_cpu_ms_per_card": per(reading.client, args.cards, 1000),
            "server_cpu_ms_per_card": per(reading.server, args.cards, 1000),
        },
        "memory": {
            "bytes": memory,
            "bytes_per_customer": round(memory / args.customers),
            "bytes_per_event": round(memory / max(events, 1)),
        },
        "audit": {
            "rows": rows,
            "rows_per_card": round(rows / max(args.cards, 1), 2),
            "bytes_per_row": round(audit / max(rows, 1)),
            "tuple_bytes": round(float(tuple_bytes or 0)),
        },
    }


# -- reporting ----------------------------------------------------------------------------


SIDES = ("plain", "partitioned")


def figures_table(figures: dict[str, Any]) -> Table:
    table = Table(title="Plain schema (baseline) against partitioned, same run")
    for column in ("figure", "plain", "partitioned", "partitioned / plain"):
        table.add_column(column)
    rows = (
        ("ingest", "events_per_s"),
        ("ingest", "client_cpu_ms_per_event"),
        ("ingest", "server_cpu_ms_per_event"),
        ("card", "cards_per_s"),
        ("card", "client_cpu_ms_per_card"),
        ("card", "server_cpu_ms_per_card"),
        ("memory", "bytes_per_customer"),
        ("memory", "bytes_per_event"),
        ("audit", "rows_per_card"),
        ("audit", "bytes_per_row"),
        ("audit", "tuple_bytes"),
    )
    for part, name in rows:
        values = [
            figures.get(side, {}).get(part, {}).get(name) for side in ("plain", "partitioned")
        ]
        ratio = (
            f"{values[1] / values[0]:.2f}"
            if all(isinstance(v, int | float) and v for v in values)
            else ""
        )
        table.add_row(f"{part} {name}", *(str(v) if v is not None else "-" for v in values), ratio)
    return table


def layout_table(layout: PartitionedSchema) -> Table:
    table = Table(title="Where each table goes")
    for column in ("table", "kind", "by", "why"):
        table.add_column(column)
    for lay in sorted(layout.layouts.values(), key=lambda x: (x.kind, x.table)):
        table.add_row(lay.table, lay.kind, lay.column or "-", lay.why)
    return table


def changes_table(layout: PartitionedSchema) -> Table:
    table = Table(title="Keys the real schema would change")
    for column in ("table", "key", "now", "partitioned"):
        table.add_column(column)
    for change in layout.changes:
        table.add_row(change.table, change.kind, ", ".join(change.before), ", ".join(change.after))
    return table


def step_table(step: Step, partitions: int) -> Table:
    table = Table(title=f"{step.name}: partitions each statement touches (of {partitions})")
    for column in ("statement", "times", "customer tables", "other tables"):
        table.add_column(column)
    for s in step.statements:
        spread = s.spread()
        other = sorted(
            f"{name} ({s.partitioned[name]}: {len(parts)})" if name in s.partitioned else name
            for name, parts in s.tables.items()
            if name not in spread
        )
        mark = "routed at run time" if s.runtime_routed else ""
        parts = ", ".join(f"{name}: {n}" for name, n in sorted(spread.items())) or mark or "-"
        table.add_row(s.label(), str(s.times), parts, ", ".join(other) or "-")
    if step.written:
        table.add_section()
        rows = ", ".join(f"{name}: {len(p)}" for name, p in sorted(step.written.items()))
        table.add_row("rows written (read back)", "", rows, "")
    if step.after:
        rows = ", ".join(f"{name}: {n}" for name, n in sorted(step.after.items()))
        table.add_row("the live customer's rows after", "", rows, "")
    return table


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("WARMLINE_DATABASE_URL")
        or os.environ.get("WARMLINE_TEST_POSTGRES_URL"),
        help="PostgreSQL to build on (its public schema is DROPPED); default: "
        "WARMLINE_DATABASE_URL, else WARMLINE_TEST_POSTGRES_URL",
    )
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--interactions-per-customer", type=int, default=4)
    parser.add_argument("--cards", type=int, default=300, help="cards read, timed")
    parser.add_argument(
        "--no-baseline", dest="baseline", action="store_false",
        help="skip the same load and reads on the plain (migrated) schema",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=20261124)
    args = parser.parse_args(argv)
    if not args.database_url or not args.database_url.startswith("postgresql"):
        parser.error("--database-url must name a PostgreSQL database (scripts/with-postgres)")
    if args.partitions < 2 or args.customers < 2:
        parser.error("--partitions and --customers must be at least 2")
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    """The simulation; every figure, as the JSON line gives them."""
    engine = make_engine(args.database_url)
    settings = Settings(database_url=args.database_url, refine_insight=False)
    layout = partitioned_schema(args.partitions)
    customer_tables = sorted(n for n, x in layout.layouts.items() if x.kind == "customer")
    figures: dict[str, Any] = {
        "benchmark": "partitioning",
        "partitions": args.partitions,
        "customers": args.customers,
        "interactions_per_customer": args.interactions_per_customer,
    }
    try:
        if args.baseline:
            reset(engine)
            upgrade(engine)
            figures["plain"] = measure(engine, settings, args, customer_tables)
            err.print(f"plain schema: {figures['plain']}")
        layout = build(engine, args.partitions)
        err.print(f"built {len(layout.layouts)} tables, {args.partitions} partitions a table")
        figures["partitioned"] = measure(engine, settings, args, customer_tables)
        err.print(f"partitioned: {figures['partitioned']}")
        found, card = find_and_read(engine, settings, layout, args.seed, args.customers // 2)
        n, each = args.customers, args.interactions_per_customer  # n: not seen before
        new = [s.envelope for s in customer_events(args.seed, n, each, False)]
        known = [  # one more interaction of a known customer: the others come back duplicates
            s.envelope for s in customer_events(args.seed, 1, each + 1, False)
        ]
        steps = [
            found,
            card,
            ingest_step(engine, layout, "ingest a new customer", new),
            ingest_step(engine, layout, "ingest a known customer's interaction", known),
            merge_step(engine, layout, args.customers),
        ]
    finally:
        engine.dispose()
    if args.baseline:
        plain, part = figures["plain"], figures["partitioned"]
        figures["partitioned_to_plain"] = {
            "cards_per_s": round(part["card"]["cards_per_s"] / plain["card"]["cards_per_s"], 3),
            "events_per_s": round(
                part["ingest"]["events_per_s"] / plain["ingest"]["events_per_s"], 3
            ),
        }
    figures["tables"] = {
        kind: sorted(x.table for x in layout.layouts.values() if x.kind == kind)
        for kind in ("customer", "time", "reference", "global")
    }
    figures["key_changes"] = [str(c) for c in layout.changes]
    figures["citus"] = citus_statements(layout)
    figures["steps"] = {s.name: s.summary(args.partitions) for s in steps}
    return {"layout": layout, "steps": steps, "figures": figures}


def reset(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    out = run(args)
    console = Console()
    console.print(layout_table(out["layout"]))
    console.print(changes_table(out["layout"]))
    console.print("With Citus (not run here), on the coordinator:")
    for statement in out["figures"]["citus"]:
        console.print(f"  {statement};", highlight=False)
    for step in out["steps"]:
        console.print(step_table(step, args.partitions))
    figures = out["figures"]
    console.print(figures_table(figures))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
