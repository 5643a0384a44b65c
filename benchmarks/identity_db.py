"""Identity at scale through the product's own path: SQLite, the match index tables, ingest.

``identity_scale.py`` measures the matching itself in memory. This one builds the same
kind of synthetic memory (``synthetic_people.py``) by ingesting one
``customer.identified`` event per customer through :func:`ingest_events` into SQLite,
then resolves new records one at a time the way ingest does: inside a transaction, the
projector's preload (identifier holders, blocking-key lookups capped per key, candidate
profiles) and the resolver (deterministic rule, then scoring), rolled back afterwards so
the memory stays the same for every query. The floor, in the same run and on the same
connection, is the raw SQL those lookups cannot do without: the identifier lookups and
each of the record's blocking keys read up to one past the block cap. Accuracy is
against the generator's truth (a review is not a link). The file is read once before
the queries, so they find it in the page cache as a running server would.

    .venv/bin/python benchmarks/identity_db.py --customers 1000000   # builds for a while
    .venv/bin/python benchmarks/identity_db.py --customers 100000 --queries 1000
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Connection

from identity_scale import percentile, queries
from synthetic_people import Person, Population, Query
from warmline.actions.ingest import ingest_events
from warmline.actions.projection.projector import Projector
from warmline.domain.identity.identifiers import IdentifierError, normalise_identifier
from warmline.domain.identity.matching import BLOCK_CAP, blocking_keys, record_from
from warmline.events import Event, InvalidEvent, parse_event
from warmline.storage import schema as t
from warmline.storage.engine import make_engine
from warmline.storage.migrate import upgrade

err = Console(stderr=True)
GOAL_P99_MS = 2.0
FULL = 1_000_000
WARM_UP = 100


def valid(idents: list[tuple[str, str, bool]]) -> list[tuple[str, str, bool]]:
    """The generator's identifiers that ingest accepts (a few made-up numbers are not)."""
    out = []
    for kind, value, verified in idents:
        try:
            normalise_identifier(kind, value)
        except IdentifierError:
            continue
        out.append((kind, value, verified))
    return out


def envelope(
    event_id: str, traits: dict[str, Any], idents: list[tuple[str, str, bool]]
) -> dict[str, Any]:
    """The event naming a record; one without a usable identifier gets the source's own id
    for it (every event names its customer by at least one)."""
    idents = valid(idents) or [("source_record", event_id, False)]
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "bench",
        "type": "customer.identified",
        "time": "2026-11-01T10:00:00Z",
        "data": {
            "customer": {
                "identifiers": [{"kind": k, "value": v, "verified": f} for k, v, f in idents],
                "traits": {k: v for k, v in traits.items() if v},
            }
        },
    }


def build(engine: Any, people: Iterable[Person], batch: int) -> dict[str, str]:
    """Ingest one event for each person; return person id -> the customer it landed on."""
    owner: dict[str, str] = {}
    pending: list[tuple[str, dict[str, Any]]] = []

    def flush() -> None:
        result = ingest_events(engine, [e for _, e in pending], insight=False)
        for (person_id, _), item in zip(pending, result.items, strict=True):
            assert item.customer_id, item
            owner[person_id] = item.customer_id
        pending.clear()

    started = time.perf_counter()
    for n, person in enumerate(people, start=1):
        pending.append(
            (person.person_id, envelope(person.person_id, person.traits(), person.identifiers()))
        )
        if len(pending) == batch:
            flush()
        if n % 100_000 == 0:
            err.print(f"[dim]ingested {n:,} customers in {time.perf_counter() - started:.0f} s[/]")
    if pending:
        flush()
    return owner


def reuse_memory(
    engine: Any, population: Population, customers: int | None, batch: int
) -> tuple[dict[str, str], int]:
    """For ``--reuse``: person id -> the live customer their record is part of, for every
    person a memory built earlier with the same seed holds (people are regenerated, not
    kept: a query's stranger must be someone the memory has never seen), and how many
    people it had to ingest. A memory left short of ``customers`` (its build was stopped)
    is completed first."""
    r, c = t.raw_events, t.customers
    with engine.connect() as conn:
        origin = dict(
            conn.execute(
                sa.select(r.c.event_id, r.c.customer_id).where(r.c.source == "bench")
            ).all()
        )
    people = list(population.generate(max(customers or 0, len(origin))))
    lacking = [person for person in people if person.person_id not in origin]
    # A stopped build may also have cut its last household short (up to four people).
    if len(lacking) > len(people) - len(origin) + 4 or not _same_person(engine, people[0]):
        raise SystemExit("--reuse: that memory holds other people (built with another seed?)")
    if lacking:
        err.print(f"[dim]completing the memory: {len(lacking):,} people to ingest[/]")
        origin.update(build(engine, lacking, batch))
    with engine.connect() as conn:
        into = dict(
            conn.execute(
                sa.select(c.c.id, c.c.merged_into).where(c.c.merged_into.is_not(None))
            ).all()
        )

    def live(customer_id: str) -> str:
        while customer_id in into:
            customer_id = into[customer_id]
        return customer_id

    return {p.person_id: live(origin[p.person_id]) for p in people}, len(lacking)


def _same_person(engine: Any, person: Person) -> bool:
    """Whether the memory's event for ``person`` (ids repeat across seeds) names them."""
    r = t.raw_events
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(r.c.envelope).where(r.c.source == "bench", r.c.event_id == person.person_id)
        ).scalar_one_or_none()
    if stored is None:
        return False
    traits = json.loads(stored)["data"]["customer"].get("traits", {})
    return bool(traits.get("name") == person.traits().get("name"))


def warm_page_cache(path: Path) -> None:
    """Read the database file once, so queries find it in the page cache as on a server
    that has been running (this shared machine drops cached pages of idle files within
    minutes, and a cold read costs more than the whole goal)."""
    with path.open("rb") as file:
        while file.read(1 << 24):
            pass


def warm_up(conn: Connection, asked: list[Query]) -> None:
    """Resolve a few other queries first, untimed: the first of each length of key list
    compiles its statement, once per process (a server has done so long before)."""
    for n, query in enumerate(asked):
        try:
            resolve_once(conn, parse_event(envelope(f"w-{n}", query.traits, query.identifiers)))
        except InvalidEvent:
            continue


def resolve_once(conn: Connection, event: Event) -> tuple[float, str | None, str]:
    """Time the resolution of one new record; nothing is kept."""
    assert event.payload.customer is not None
    transaction = conn.begin()
    try:
        start = time.perf_counter()
        projector = Projector(conn, insight=False)
        projector.preload([event])
        landing, outcome, _ = projector.resolver.resolve(event.payload.customer, event)
        elapsed = time.perf_counter() - start
    finally:
        transaction.rollback()
    linked = landing.customer_id if outcome.resolution in ("known", "linked") else None
    return elapsed, linked, outcome.resolution or "new"


def floor_once(conn: Connection, query: Query) -> float:
    """The raw lookups resolution cannot avoid: identifier holders and blocking keys (each
    key's block read up to one past the cap, as a raw statement of its own)."""
    keys = blocking_keys(record_from(query.traits, query.identifiers))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    start = time.perf_counter()
    for kind, value, _ in query.identifiers:
        cursor.execute(
            "SELECT origin_id FROM identifiers WHERE kind = ? AND value = ?", (kind, value)
        )
        cursor.fetchall()
    for key in keys:  # each block up to one past the cap (a larger one is not looked at)
        cursor.execute(
            "SELECT origin_id FROM match_keys WHERE key = ? LIMIT ?", (key, BLOCK_CAP + 1)
        )
        cursor.fetchall()
    elapsed = time.perf_counter() - start
    cursor.close()
    return elapsed


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="warmline-idb-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "identity.db"
    population = Population(args.seed)
    reuse = args.reuse and path.exists()
    if not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}", sqlite_synchronous="OFF")
    upgrade(engine)
    started = time.perf_counter()
    completed = 0
    if reuse:
        owner, completed = reuse_memory(engine, population, args.customers, args.batch)
    else:
        owner = build(engine, population.generate(args.customers or FULL), args.batch)
    args.customers = len(owner)
    build_seconds = time.perf_counter() - started
    asked = queries(population, args.queries, args.seed)
    warm_page_cache(path)
    # The generated population (a million people) is the benchmark's, not the product's:
    # out of the garbage collector's way, so that no query pays for walking it.
    gc.collect()
    gc.freeze()
    ours, floor = [], []
    outcomes: Counter[str] = Counter()
    true_links = found_links = right_links = 0
    with engine.connect() as conn:
        warm_up(conn, queries(population, WARM_UP, args.seed + 1))
        for n, query in enumerate(asked):
            try:
                event = parse_event(envelope(f"q-{n}", query.traits, query.identifiers))
            except InvalidEvent:
                # Noise can make an impossible date (31 February): ingest refuses the event.
                outcomes[f"{query.kind} refused"] += 1
                continue
            floor.append(floor_once(conn, query))
            elapsed, linked, resolution = resolve_once(conn, event)
            ours.append(elapsed)
            outcomes[f"{query.kind} {resolution}"] += 1
            truth = owner.get(query.truth) if query.truth else None
            true_links += truth is not None
            if linked is not None:
                found_links += 1
                right_links += linked == truth
    engine.dispose()
    ms = 1000.0
    figures = {
        "customers": args.customers,
        "queries": len(asked),
        "build_seconds": None if reuse else round(build_seconds, 1),
        "reused": reuse,
        "completed_on_reuse": completed,
        "ours_p50_ms": round(percentile(ours, 0.5) * ms, 3),
        "ours_p99_ms": round(percentile(ours, 0.99) * ms, 3),
        "floor_p50_ms": round(percentile(floor, 0.5) * ms, 3),
        "floor_p99_ms": round(percentile(floor, 0.99) * ms, 3),
        "precision": round(right_links / found_links, 4) if found_links else None,
        "recall": round(right_links / true_links, 4) if true_links else None,
        "outcomes": dict(sorted(outcomes.items())),
    }
    figures["goal_p99_met"] = figures["ours_p99_ms"] <= GOAL_P99_MS
    if not (args.keep or args.reuse):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--customers",
        type=int,
        help=f"customers in the memory (default {FULL:,}; with --reuse, default: as many "
        "as it holds, and a larger number completes it)",
    )
    parser.add_argument("--queries", type=int, default=3_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the database file")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="query the memory an earlier --keep run left in --workdir (same seed) "
        "instead of building it again",
    )
    args = parser.parse_args()
    figures = run(args)
    table = Table(
        title=f"identity through SQLite: one new record against {args.customers:,} customers"
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    if figures["reused"]:
        completed = figures["completed_on_reuse"]
        done = f", {completed:,} people added to complete it" if completed else ""
        table.add_row("memory", f"reused from an earlier run (--reuse){done}")
    else:
        table.add_row("memory built through ingest", f"{figures['build_seconds']} s")
    table.add_row(
        "ours: preload + resolve, p50 / p99",
        f"{figures['ours_p50_ms']} / {figures['ours_p99_ms']} ms",
    )
    table.add_row(
        "floor: raw identifier + key lookups, p50 / p99",
        f"{figures['floor_p50_ms']} / {figures['floor_p99_ms']} ms",
    )
    table.add_row("precision / recall of links", f"{figures['precision']} / {figures['recall']}")
    table.add_row(f"goal p99 <= {GOAL_P99_MS} ms", "met" if figures["goal_p99_met"] else "NOT met")
    Console().print(table)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
