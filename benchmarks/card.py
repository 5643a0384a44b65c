"""Card benchmark: Warmline's context card against the raw SQL of the same lookups.

Builds a synthetic memory (default 100,000 customers with 10 interactions each:
1M interactions; ``--customers 1000000`` for 10M) by bulk-inserting rows into a
freshly migrated database (this measures reads, so the memory is loaded
directly, not through ingest), then for random customers, in the same run:

* **floor**: the raw DB-API SQL of the card's core lookups: identifier to
  customer, latest 20 interactions, open cases;
* **ours**: identifier to customer (:func:`customers_by_identifier`) and the whole
  card (:func:`load_card`: customer, interactions, cases, commitments,
  activities, verifications, and the last messages of a continuity interaction),
  one connection per card, as the API does.

It also counts the SQL statements one card takes, and measures the HTTP card
endpoint (``GET /v1/customers/{id}/card``) against floor endpoints served by the
same process (``card_app.py``: the product's app with ``/bench/floor`` doing the
card's reads raw, ``/bench/floor3`` the three core lookups, ``/bench/json`` fixed
JSON), with 16 keep-alive clients on loopback, ``--rounds`` rounds of
``--http-seconds`` per target in turned order. Each target reports its rate, p50,
p99 and the server's CPU per request (steadier than the rate on a shared machine);
the card's rate is given as a fraction of the floor's measured in the same run.
Every card read over HTTP is authorised and writes an audit-log row committed
(``synchronous=FULL``) before it is answered: that is the product's behaviour, and it
is in the figure. The server is started fresh: the time until ``/healthz`` says ok,
how long a card asked for at that moment takes, and when ``/readyz`` says ready
are reported too.

    .venv/bin/python benchmarks/card.py --customers 20000
    .venv/bin/python benchmarks/card.py --customers 1000000    # 10M interactions
    scripts/with-postgres bash -c \\
        '.venv/bin/python benchmarks/card.py --postgres-url "$WARMLINE_TEST_POSTGRES_URL"'

``--workers N`` serves PostgreSQL's HTTP figures from N uvicorn workers (CPU summed over
them); SQLite is always served by one process, as ``warmline serve`` does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine

from serving import Load, drive, free_port, httpx, percentile, start_server, stop_server
from warmline.actions.keys import create_key
from warmline.domain.card.context import CardContext
from warmline.storage import queries
from warmline.storage import schema as t
from warmline.storage.card_queries import load_card
from warmline.storage.engine import make_engine
from warmline.storage.migrate import upgrade

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
CHANNELS = ("chat", "voice", "email", "app", "web", "branch")
REASONS = ("card_declined", "transfer_not_received", "change_address", "app_login_problem")
GOAL_RATIO, GOAL_P99_MS = 3.0, 5.0
err = Console(stderr=True)


def phone(n: int) -> str:
    return f"+4474{n:08d}"


def customer_rows(n: int, per: int, rng: random.Random) -> dict[sa.Table, list[dict[str, Any]]]:
    """All rows of customer ``n``: profile, identifiers, interactions, cases, promises, activity."""
    cid = f"cus_{n:010d}"
    since = NOW - dt.timedelta(days=rng.uniform(30, 15 * 365))
    name = f"Customer {n}"
    rows: dict[sa.Table, list[dict[str, Any]]] = {table: [] for table in TABLES}
    rows[t.customers].append(
        {
            "id": cid,
            "status": "active",
            "merged_into": None,
            "name": name,
            "preferred_name": None,
            "customer_since": since.date(),
            "created_at": since,
            "updated_at": since,
            "traits": {
                "name": {"value": name, "source": "crm", "at": since.isoformat()},
                "segment": {"value": "everyday", "source": "crm", "at": since.isoformat()},
            },
        }
    )
    for kind, value in (("phone", phone(n)), ("email", f"c{n}@example.org")):
        rows[t.identifiers].append(
            {
                "id": f"idn_{kind}_{n}",
                "customer_id": cid,
                "kind": kind,
                "value": value,
                "verified": True,
                "source": "crm",
                "first_seen_at": since,
            }
        )
    recent = rng.random() < 0.05  # a contact on another channel minutes ago: continuity
    for i in range(per):
        at = since + (NOW - since) * (i + rng.random()) / per
        if recent and i == per - 1:
            at = NOW - dt.timedelta(minutes=rng.uniform(3, 20))
        iid = f"int_{n}_{i}"
        rows[t.interactions].append(
            {
                "id": iid,
                "external_id": f"x-{n}-{i}",
                "customer_id": cid,
                "source": "bench",
                "channel": "chat" if recent and i == per - 1 else rng.choice(CHANNELS),
                "status": "ended",
                "started_at": at,
                "ended_at": at + dt.timedelta(minutes=6),
                "agent_id": "agent-1",
                "queue": "general",
                "subject": None,
                "outcome": "resolved",
                "reason": rng.choice(REASONS),
                "summary": "Sorted.",
                "case_id": None,
                "transfers": 0,
                "message_count": 2,
                "last_message_at": at + dt.timedelta(minutes=5),
            }
        )
        if recent and i == per - 1:
            for m, speaker in enumerate(("customer", "agent", "customer")):
                rows[t.messages].append(
                    {
                        "id": f"msg_{n}_{m}",
                        "customer_id": cid,
                        "interaction_id": iid,
                        "speaker": speaker,
                        "text": "My card got declined again.",
                        "agent_id": None,
                        "sent_at": at + dt.timedelta(minutes=m),
                    }
                )
    if rng.random() < 0.2:
        rows[t.cases].append(
            {
                "id": f"case_{n}",
                "external_id": f"case-{n}",
                "customer_id": cid,
                "source": "crm",
                "title": "Dispute",
                "status": "open",
                "priority": "normal",
                "opened_at": NOW,
                "updated_at": NOW,
                "resolved_at": None,
                "latest_note": None,
                "resolution": None,
                "interaction_id": None,
            }
        )
    if rng.random() < 0.1:
        rows[t.commitments].append(
            {
                "id": f"cmt_{n}",
                "external_id": f"cmt-{n}",
                "customer_id": cid,
                "source": "crm",
                "text": "Call back",
                "due_at": NOW - dt.timedelta(hours=2),
                "made_at": since,
                "made_by": None,
                "status": "open",
                "fulfilled_at": None,
                "note": None,
                "case_id": None,
                "interaction_id": None,
            }
        )
    rows[t.activities].append(
        {
            "id": f"act_{n}",
            "customer_id": cid,
            "name": "payment.failed",
            "summary": None,
            "attributes": {"amount": 12},
            "source": "core",
            "occurred_at": NOW - dt.timedelta(days=1),
        }
    )
    return rows


TABLES = (
    t.customers,
    t.identifiers,
    t.interactions,
    t.messages,
    t.cases,
    t.commitments,
    t.activities,
)


def load(engine: Engine, customers: int, per: int, seed: int) -> None:
    """Bulk-insert the synthetic memory, 5,000 customers a transaction, then ANALYZE."""
    rng = random.Random(seed)
    started = time.monotonic()
    for start in range(0, customers, 5000):
        pending: dict[sa.Table, list[dict[str, Any]]] = {table: [] for table in TABLES}
        for n in range(start, min(start + 5000, customers)):
            for table, rows in customer_rows(n, per, rng).items():
                if table in t.BY_ORIGIN:  # never merged: each row is on its own record
                    rows = [{**row, "origin_id": row["customer_id"]} for row in rows]
                pending[table].extend(rows)
        with engine.begin() as conn:
            for table, rows in pending.items():
                if rows:
                    conn.execute(table.insert(), rows)
        done = min(start + 5000, customers)
        err.print(f"loaded {done:,} customers in {time.monotonic() - started:.0f} s")
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def floor_times(engine: Engine, sample: list[int]) -> list[float]:
    """The three core lookups in raw DB-API SQL, timed per customer."""
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        times = []
        for n in sample:
            begin = time.perf_counter()
            cursor.execute(
                f"SELECT customer_id FROM identifiers WHERE kind = {mark} AND value = {mark}",
                ("phone", phone(n)),
            )
            cid = cursor.fetchall()[0][0]
            cursor.execute(
                "SELECT id, channel, started_at, reason, outcome, summary FROM interactions "
                f"WHERE customer_id = {mark} ORDER BY started_at DESC, id DESC LIMIT 20",
                (cid,),
            )
            cursor.fetchall()
            cursor.execute(
                f"SELECT * FROM cases WHERE customer_id = {mark} AND status <> 'resolved' "
                "ORDER BY updated_at DESC LIMIT 10",
                (cid,),
            )
            cursor.fetchall()
            times.append(time.perf_counter() - begin)
        raw.rollback()
        return times
    finally:
        raw.close()


def our_times(engine: Engine, sample: list[int]) -> list[float]:
    """Identifier to customer, then the whole card, one connection per card."""
    times = []
    for n in sample:
        begin = time.perf_counter()
        with engine.connect() as conn:
            cid = queries.customers_by_identifier(conn, "phone", phone(n))[0]
            card = load_card(conn, cid, CardContext(now=NOW, channel="voice"))
        times.append(time.perf_counter() - begin)
        assert card is not None
    return times


def contact_card_times(engine: Engine, sample: list[int]) -> list[float]:
    """The card as a contact opens it: for the customer's latest interaction, which the
    card then shows on its own with its messages (``now``)."""
    latest = {}
    i = t.interactions
    with engine.connect() as conn:
        for n in set(sample):
            cid = queries.customers_by_identifier(conn, "phone", phone(n))[0]
            latest[n] = conn.execute(
                sa.select(i.c.id)
                .where(i.c.customer_id == cid)
                .order_by(i.c.started_at.desc())
                .limit(1)
            ).scalar()
    times = []
    for n in sample:
        begin = time.perf_counter()
        with engine.connect() as conn:
            cid = queries.customers_by_identifier(conn, "phone", phone(n))[0]
            ctx = CardContext(now=NOW, channel="voice", interaction_id=latest[n])
            card = load_card(conn, cid, ctx)
        times.append(time.perf_counter() - begin)
        assert card is not None
        assert latest[n] is None or card["now"] is not None
    return times


def statements_per_card(engine: Engine, n: int) -> tuple[int, int]:
    """SQL statements for one card: (total, of which for continuity)."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        with engine.connect() as conn:
            cid = queries.customers_by_identifier(conn, "phone", phone(n))[0]
            card = load_card(conn, cid, CardContext(now=NOW, channel="voice"))
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert card is not None
    return len(seen), len(card["continuity"])


#: What each HTTP target reads, and how the table names it.
TARGETS = {
    "card": "GET /v1/customers/{id}/card: authorised, audited",
    "floor": "the card's reads raw (9 statements), JSON",
    "floor3": "3 raw lookups, JSON",
    "json": "fixed JSON",
}


def _path(target: str, customers: int) -> Any:
    def path(rng: random.Random) -> str:
        cid = f"cus_{rng.randrange(customers):010d}"
        if target == "card":
            return f"/v1/customers/{cid}/card?channel=voice"
        return "/bench/json" if target == "json" else f"/bench/{target}/{cid}"

    return path


def first_card(base: str, server: Any, log: Path, key: str, customers: int) -> dict[str, Any]:
    """From the server's start: when ``/healthz`` first answers ok, how long a card asked
    for at that moment takes, and when ``/readyz`` says ready (models loaded)."""
    started = time.monotonic()
    out: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=60) as http:
        while time.monotonic() - started < 60:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited early:\n{log.read_text()}")
            try:
                health = http.get("/healthz")
            except httpx.TransportError:
                time.sleep(0.05)
                continue
            if health.status_code == 200 and health.json()["status"] == "ok":
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"the server did not start within 60 s:\n{log.read_text()}")
        out["healthz_ok_s"] = round(time.monotonic() - started, 2)
        begin = time.perf_counter()
        response = http.get(
            f"/v1/customers/cus_{customers // 2:010d}/card?channel=voice",
            headers={"Authorization": f"Bearer {key}"},
        )
        out["first_card_ms"] = round((time.perf_counter() - begin) * 1000, 1)
        out["first_card_status"] = response.status_code
        while time.monotonic() - started < 120:
            if http.get("/readyz").status_code == 200:
                break
            time.sleep(0.05)
        out["readyz_ok_s"] = round(time.monotonic() - started, 2)
        begin = time.perf_counter()
        response = http.get(
            f"/v1/customers/cus_{customers // 3:010d}/card?channel=voice",
            headers={"Authorization": f"Bearer {key}"},
        )
        out["card_after_ready_ms"] = round((time.perf_counter() - begin) * 1000, 1)
    return out


def http_cards(
    url: str,
    workdir: Path,
    customers: int,
    seconds: float,
    clients: int,
    rounds: int,
    workers: int = 1,
) -> dict[str, Any]:
    """The card endpoint against the floor endpoints of ``card_app``, in one server:
    ``rounds`` rounds, each driving every target for ``seconds`` with ``clients``
    keep-alive connections, the order turned each round so drift in the machine's load
    falls on all alike."""
    engine = make_engine(url)
    _, key = create_key(engine, role="agent", name="bench")
    engine.dispose()
    port = free_port()
    log = workdir / "server.log"
    server = start_server(url, port, "FULL", log, factory="card_app:create_app", workers=workers)
    base = f"http://127.0.0.1:{port}"
    loads: dict[str, list[Load]] = {target: [] for target in TARGETS}
    try:
        start = first_card(base, server, log, key, customers)
        for target in TARGETS:  # warm each path (pool, caches, compiled statements) untimed
            drive(port, _path(target, customers), seconds=1, clients=clients, headers={
                "Authorization": f"Bearer {key}"})  # fmt: skip
        order = list(TARGETS)
        for r in range(rounds):
            for target in order[r % len(order) :] + order[: r % len(order)]:
                loads[target].append(
                    drive(
                        port,
                        _path(target, customers),
                        seconds=seconds,
                        clients=clients,
                        headers={"Authorization": f"Bearer {key}"},
                        seed=1000 * r,
                        server_pid=server.pid,
                    )
                )
    finally:
        stop_server(server)
    out: dict[str, Any] = {"clients": clients, "rounds": rounds, "workers": workers, "start": start}
    for target, runs in loads.items():
        latencies = [x for run in runs for x in run.latencies]
        if not latencies:
            raise RuntimeError(f"no {target} request succeeded; see {log}")
        out[target] = {
            "requests": len(latencies),
            "errors": sum(run.errors for run in runs),
            "requests_per_s": round(len(latencies) / sum(run.seconds for run in runs), 1),
            "per_round": [round(run.rate, 1) for run in runs],
            "p50_ms": round(statistics.median(latencies) * 1000, 2),
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
            # The server's CPU per request: steadier than the rate on a shared machine.
            "server_cpu_ms": round(
                sum(run.server_cpu or 0 for run in runs) * 1000 / len(latencies), 3
            ),
        }
    card, floor = out["card"], out["floor"]
    out["card_to_floor"] = round(card["requests_per_s"] / floor["requests_per_s"], 3)
    out["card_to_floor_by_cpu"] = round(floor["server_cpu_ms"] / card["server_cpu_ms"], 3)
    out["card_to_floor_per_round"] = [
        round(c.rate / f.rate, 3) for c, f in zip(loads["card"], loads["floor"], strict=True)
    ]
    out["goals"] = {
        "cards_per_s_1000": card["requests_per_s"] >= 1000,
        "p99_50ms": card["p99_ms"] <= 50,
        "half_of_floor": out["card_to_floor"] >= 0.5,
        "first_card_2s": start["first_card_status"] == 200 and start["first_card_ms"] <= 2000,
    }
    return out


def summary(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(times) * 1000, 3),
        "p99_ms": round(percentile(times, 0.99) * 1000, 3),
        "mean_ms": round(statistics.fmean(times) * 1000, 3),
    }


def bench(url: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    engine = make_engine(url, sqlite_synchronous="OFF")
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine)
    if args.reuse:
        err.print("reusing the memory already in the database (--reuse)")
    else:
        load(engine, args.customers, args.interactions_per_customer, args.seed)
    rng = random.Random(args.seed + 1)
    sample = [rng.randrange(args.customers) for _ in range(args.samples)]
    our_times(engine, sample[:200])  # warm the caches and the connection pool alike
    floor_times(engine, sample[:200])
    floor = summary(floor_times(engine, sample))
    ours = summary(our_times(engine, sample))
    contact = summary(contact_card_times(engine, sample))
    statements = {}
    for n in range(min(args.customers, 400)):
        total, continuity = statements_per_card(engine, n)
        statements.setdefault("with_continuity" if continuity else "without_continuity", total)
    engine.dispose()
    figures: dict[str, Any] = {
        "floor": floor,
        "ours": ours,
        "contact": contact,
        "statements_per_card": statements,
        "ratio_p99": round(ours["p99_ms"] / floor["p99_ms"], 2),
    }
    figures["goal_met"] = figures["ratio_p99"] <= GOAL_RATIO and ours["p99_ms"] <= GOAL_P99_MS
    if args.http_seconds > 0:
        workers = args.workers if engine.dialect.name == "postgresql" else 1
        figures["http"] = http_cards(
            url, workdir, args.customers, args.http_seconds, args.clients, args.rounds, workers
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--interactions-per-customer", type=int, default=10)
    parser.add_argument("--samples", type=int, default=2000, help="cards timed (random customers)")
    parser.add_argument(
        "--http-seconds", type=float, default=5.0, help="per HTTP target and round; 0 skips HTTP"
    )
    parser.add_argument("--rounds", type=int, default=3, help="HTTP rounds over every target")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes on PostgreSQL (SQLite: one)"
    )
    parser.add_argument("--postgres-url", help="also measure here; its public schema is DROPPED")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the SQLite file in --workdir from an earlier run"
    )
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--seed", type=int, default=20261124)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="warmline-card-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "benchmark": "card",
        "customers": args.customers,
        "interactions": args.customers * args.interactions_per_customer,
        "samples": args.samples,
    }
    if not args.skip_sqlite:
        db = workdir / "card.db"
        if not args.reuse:
            db.unlink(missing_ok=True)
        results["sqlite"] = bench(f"sqlite:///{db}", args, workdir)
    if args.postgres_url:
        results["postgresql"] = bench(args.postgres_url, args, workdir)
    table = Table(
        "backend",
        "path",
        "p50 ms",
        "p99 ms",
        "mean ms",
        "ratio p99",
        "note",
        title=f"card: {args.customers:,} customers, {results['interactions']:,} interactions",
    )
    for backend in ("sqlite", "postgresql"):
        if backend not in results:
            continue
        figures = results[backend]
        for path in ("floor", "ours", "contact"):
            f = figures[path]
            ratio = f"{f['p99_ms'] / figures['floor']['p99_ms']:.2f}"
            note = {
                "floor": "3 raw queries",
                "ours": f"{figures['statements_per_card']} statements; goal "
                f"{'met' if figures['goal_met'] else 'NOT met'}",
                "contact": "ours for a contact: `now` and its messages too",
            }[path]
            table.add_row(
                backend,
                path,
                f"{f['p50_ms']:.3f}",
                f"{f['p99_ms']:.3f}",
                f"{f['mean_ms']:.3f}",
                ratio,
                note,
            )
        if "http" in figures:
            h = figures["http"]
            for target, note in TARGETS.items():
                f = h[target]
                table.add_row(
                    backend,
                    f"HTTP {target} x{h['clients']}",
                    f"{f['p50_ms']:.2f}",
                    f"{f['p99_ms']:.2f}",
                    "",
                    f"{f['requests_per_s'] / h['floor']['requests_per_s']:.2f} of floor",
                    f"{f['requests_per_s']} req/s (rounds {f['per_round']}), "
                    f"server CPU {f['server_cpu_ms']} ms/req, {f['errors']} errors; {note}",
                )
            s = h["start"]
            table.add_row(
                backend,
                "HTTP start",
                "",
                "",
                "",
                "",
                f"/healthz ok at {s['healthz_ok_s']} s, a card asked then took "
                f"{s['first_card_ms']} ms ({s['first_card_status']}); /readyz ok at "
                f"{s['readyz_ok_s']} s, a card then {s['card_after_ready_ms']} ms",
            )
    Console(width=140).print(table)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
