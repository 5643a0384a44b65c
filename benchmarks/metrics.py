"""Metrics benchmark: what the rollups cost at ingest, how fast they answer, and whether a
rebuild agrees with them.

Three measurements in one run, each against a baseline measured in the same run:

* **ingest**: the demo bank's events (``--customers``) through ``ingest_events`` into two
  fresh SQLite files, with the rollups and risk scores kept (``metrics=True``) and without
  (``metrics=False``), in alternating rounds; insight off in both (as
  ``benchmarks/ingest.py``), so the figure is the rollups' own cost. Goal: on at >= 85 %
  of off. Each way is measured twice: a pooled connection per batch (as ``POST
  /v1/events``: the goal's figure) and one bulk-writing connection for all batches (as
  ``warmline import``, whose SQLite page cache is larger). Beside events per second (the
  best round), the CPU seconds of the least costly round: on a shared machine the wall
  clock of a round swings with the other workers far more than its CPU time. A warm-up
  first (models, lazy imports). The memory built with them on is then checked against a
  rebuild (``rollups_agree``) and rebuilt, timed.
* **queries**: ``GET /v1/metrics`` over HTTP (the real server on loopback, one client) on
  a memory of ``--interactions`` interactions (default 10 million) over two years,
  against a full-scan SQL query of the same figure (contacts by channel per day over 90
  days) on the interactions table. Building 10 million contacts through ingest would take
  hours on this machine, so this memory is **bulk-inserted**: synthetic interactions
  straight into ``interactions`` (for the full scan), and the rollup rows they make
  computed with numpy by the same groupings and written straight into
  ``metric_rollups``. The query path is the product's; the rows were not made by ingest.
  Goal: p99 <= 200 ms.

    .venv/bin/python benchmarks/metrics.py                          # 10M interactions
    .venv/bin/python benchmarks/metrics.py --interactions 1000000 --customers 500
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from serving import free_port, httpx, percentile, start_server, stop_server, wait_ready
from warmline.actions.ingest import ingest_events
from warmline.actions.keys import create_key
from warmline.actions.metrics.rebuild import rebuild_metrics, rollups_agree
from warmline.demo.world import generate_world
from warmline.domain.metrics.counters import COUNTERS
from warmline.domain.metrics.dimensions import DIMENSIONS, GROUPINGS, dims_of
from warmline.domain.risk import RiskPolicy
from warmline.storage.engine import bulk_writing, make_engine
from warmline.storage.migrate import upgrade

GOAL_RATIO, GOAL_P99_MS = 0.85, 200.0
TODAY = dt.datetime.now(dt.UTC).date()
err = Console(stderr=True)
out = Console()


# -- ingest with the rollups on and off ------------------------------------------------


#: How batches reach ingest: a pooled connection per batch (as ``POST /v1/events`` does),
#: or one bulk-writing connection for them all (as ``warmline import`` does; on SQLite it
#: keeps a larger page cache).
PATHS = ("api", "import")


def _ingest_all(engine: Any, batches: list[list[dict[str, Any]]], on: bool, path: str) -> None:
    def ingest(batch: list[dict[str, Any]], conn: Any = None) -> None:
        ingest_events(engine, batch, insight=False, metrics=on, risk=RiskPolicy(), conn=conn)

    if path == "api":
        for batch in batches:
            ingest(batch)
        return
    with bulk_writing(engine) as conn:
        for batch in batches:
            ingest(batch, conn)


def bench_ingest(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    batches = list(generate_world(customers=args.customers, seed=args.seed, batch=args.batch))
    events = sum(len(b) for b in batches)
    # Warm up first (models, caches, lazy imports), so no round pays for them.
    warm = make_engine(f"sqlite:///{workdir / 'ingest-warm-up.db'}", sqlite_synchronous="OFF")
    upgrade(warm)
    _ingest_all(warm, batches[:2], True, "api")
    warm.dispose()
    rates: dict[str, list[float]] = {f"{p}/{m}": [] for p in PATHS for m in ("on", "off")}
    # CPU seconds of this process per round: the other workers sharing the machine stretch
    # the wall clock of one round or another, much less the work a round does.
    cpu: dict[str, list[float]] = {key: [] for key in rates}
    keep = None
    for round_ in range(args.rounds):
        for mode in ("off", "on") if round_ % 2 == 0 else ("on", "off"):
            for path in PATHS:
                key = f"{path}/{mode}"
                file = workdir / f"ingest-{path}-{mode}-{round_}.db"
                engine = make_engine(f"sqlite:///{file}", sqlite_synchronous="OFF")
                upgrade(engine)
                started, cpu_started = time.perf_counter(), time.process_time()
                _ingest_all(engine, batches, mode == "on", path)
                rates[key].append(events / (time.perf_counter() - started))
                cpu[key].append(time.process_time() - cpu_started)
                err.print(
                    f"ingest round {round_ + 1} {key}: {rates[key][-1]:,.0f} events/s"
                    f" ({cpu[key][-1]:.2f} s CPU)"
                )
                if key == "api/on" and keep is None:
                    keep = engine
                else:
                    engine.dispose()
    assert keep is not None
    started = time.perf_counter()
    agree = rollups_agree(keep)
    check_s = time.perf_counter() - started
    started = time.perf_counter()
    contributions = rebuild_metrics(keep)
    rebuild_s = time.perf_counter() - started
    keep.dispose()
    figures: dict[str, Any] = {"customers": args.customers, "events": events}
    for path in PATHS:
        on, off = max(rates[f"{path}/on"]), max(rates[f"{path}/off"])
        cpu_on, cpu_off = cpu[f"{path}/on"], cpu[f"{path}/off"]
        figures[path] = {
            "rate_on": round(on),
            "rate_off": round(off),
            "rates_on": [round(r) for r in rates[f"{path}/on"]],
            "rates_off": [round(r) for r in rates[f"{path}/off"]],
            "ratio": round(on / off, 3),
            "cpu_seconds_on": [round(c, 2) for c in cpu_on],
            "cpu_seconds_off": [round(c, 2) for c in cpu_off],
            "cpu_ratio": round(min(cpu_off) / min(cpu_on), 3),
        }
    # The goal's figure: batches as the API receives them (as in earlier runs).
    figures |= {key: figures["api"][key] for key in ("rate_on", "rate_off", "ratio")}
    return figures | {
        "rebuild_agrees": agree,
        "contributions": contributions,
        "check_seconds": round(check_s, 2),
        "rebuild_seconds": round(rebuild_s, 2),
    }


# -- a large memory, bulk-inserted ------------------------------------------------------

CHANNELS = ("chat", "voice", "email", "app", "web", "branch", "sms")
SEGMENTS = ("everyday", "premier", "student", "small_business", "private")
N_REASONS, N_TEAMS, AGENTS_PER_TEAM = 40, 12, 12
#: Share of interactions with each interaction counter (the others are zero here).
RATES = {
    "contacts_ended": 0.98,
    "contacts_with_reason": 0.93,
    "first_contacts": 0.80,
    "resolved_contacts": 0.70,
    "repeat_contacts": 0.13,
    "reopened_contacts": 0.09,
    "restated_contacts": 0.04,
    "mood_read": 0.75,
    "ended_frustrated": 0.06,
    "csat_responses": 0.2,
}


def _month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    starts, month = [], first.replace(day=1)
    while month <= last:
        starts.append(month)
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return starts


def build_memory(url_path: Path, interactions: int, seed: int) -> dict[str, Any]:
    """Bulk-insert ``interactions`` synthetic contacts over the last two years, and the
    rollup rows they make (numpy, the product's groupings), into a migrated SQLite file."""
    engine = make_engine(f"sqlite:///{url_path}", sqlite_synchronous="OFF")
    upgrade(engine)
    engine.dispose()
    rng = np.random.default_rng(seed)
    first = TODAY - dt.timedelta(days=729)
    days = (TODAY - first).days + 1
    per_day = interactions / days
    db = sqlite3.connect(url_path)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA journal_mode=OFF")
    columns = ["grouping", "period", "bucket", *DIMENSIONS, "sources", *COUNTERS]
    marks = ", ".join("?" * len(columns))
    rollup_sql = f"INSERT INTO metric_rollups ({', '.join(columns)}) VALUES ({marks})"
    interaction_sql = (
        "INSERT INTO interactions (id, external_id, customer_id, origin_id, source, channel,"
        " status, started_at, agent_id, queue, outcome, reason, transfers, message_count)"
        " VALUES (?, ?, ?, ?, 'bench', ?, 'ended', ?, ?, ?, 'resolved', ?, 0, 0)"
    )
    reason_weights = 1 / np.arange(1, N_REASONS + 1)
    reason_weights /= reason_weights.sum()
    counter_index = {name: n for n, name in enumerate(COUNTERS)}
    made, rollup_rows, started = 0, 0, time.perf_counter()
    for month in _month_starts(first, TODAY):
        month_end = min(
            (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1),
            TODAY + dt.timedelta(days=1),
        )
        start = max(month, first)
        n_days = (month_end - start).days
        n = round(per_day * n_days) if month_end <= TODAY else interactions - made
        n = max(min(n, interactions - made), 0)
        if n == 0:
            continue
        day = rng.integers(0, n_days, n)
        reason = rng.choice(N_REASONS, n, p=reason_weights)
        team = reason % N_TEAMS
        dims = np.stack(
            [
                rng.integers(0, len(CHANNELS), n),
                team,
                reason,
                rng.integers(0, len(SEGMENTS), n),
                team * AGENTS_PER_TEAM + rng.integers(0, AGENTS_PER_TEAM, n),
            ],
            axis=1,
        )
        counts = np.zeros((n, len(COUNTERS)), dtype=np.int64)
        counts[:, counter_index["contacts"]] = 1
        for name, rate in RATES.items():
            counts[:, counter_index[name]] = rng.random(n) < rate
        counts[:, counter_index["first_contacts_resolved"]] = counts[
            :, counter_index["first_contacts"]
        ] & (rng.random(n) < 0.72)
        counts[:, counter_index["contact_transfers"]] = rng.random(n) < 0.08
        counts[:, counter_index["sentiment_change_milli"]] = counts[
            :, counter_index["mood_read"]
        ] * rng.integers(-600, 900, n)
        counts[:, counter_index["csat_satisfied"]] = counts[:, counter_index["csat_responses"]] & (
            rng.random(n) < 0.78
        )
        counts[:, counter_index["csat_points"]] = counts[
            :, counter_index["csat_responses"]
        ] * rng.integers(1, 6, n)
        names = [
            CHANNELS,
            [f"team-{k}" for k in range(N_TEAMS)],
            [f"reason_{k}" for k in range(N_REASONS)],
            SEGMENTS,
            [f"agent-{k}" for k in range(N_TEAMS * AGENTS_PER_TEAM)],
        ]
        rows: list[tuple[Any, ...]] = []
        for period, bucket_of in (("day", day), ("month", np.zeros(n, dtype=np.int64))):
            for grouping in GROUPINGS:
                kept = [DIMENSIONS.index(d) for d in dims_of(grouping)]
                key = np.stack([bucket_of, *(dims[:, k] for k in kept)], axis=1)
                unique, inverse = np.unique(key, axis=0, return_inverse=True)
                sums = np.zeros((len(unique), len(COUNTERS)), dtype=np.int64)
                np.add.at(sums, inverse.ravel(), counts)
                sources = np.bincount(inverse.ravel(), minlength=len(unique))
                for u, s, total in zip(unique, sources, sums, strict=True):
                    values = [""] * len(DIMENSIONS)
                    for k, v in zip(kept, u[1:], strict=True):
                        values[k] = names[k][v]
                    bucket = start + dt.timedelta(days=int(u[0])) if period == "day" else month
                    rows.append(
                        (
                            grouping,
                            period,
                            bucket.isoformat(),
                            *values,
                            int(s),
                            *(int(x) for x in total),
                        )
                    )
        db.executemany(rollup_sql, rows)
        rollup_rows += len(rows)
        base = dt.datetime.combine(start, dt.time(), dt.UTC)
        seconds = rng.integers(0, 86400, n)
        db.executemany(
            interaction_sql,
            (
                (
                    f"int_b{made + k}",
                    f"b{made + k}",
                    f"cus_b{(made + k) % max(interactions // 10, 1)}",
                    f"cus_b{(made + k) % max(interactions // 10, 1)}",
                    CHANNELS[dims[k, 0]],
                    (base + dt.timedelta(days=int(day[k]), seconds=int(seconds[k]))).strftime(
                        "%Y-%m-%d %H:%M:%S.%f"
                    ),
                    names[4][dims[k, 4]],
                    names[1][dims[k, 1]],
                    names[2][dims[k, 2]],
                )
                for k in range(n)
            ),
        )
        db.commit()
        made += n
        took = time.perf_counter() - started
        err.print(f"built {made:,} interactions, {rollup_rows:,} rollup rows ({took:,.0f} s)")
    db.execute("ANALYZE")
    db.commit()
    db.close()
    return {
        "interactions": made,
        "rollup_rows": rollup_rows,
        "build_seconds": round(time.perf_counter() - started),
    }


def _q(measure: str, days: int, period: str, **more: str) -> dict[str, Any]:
    return {"measure": measure, "days": days, "period": period, **more}


QUERIES = {
    "contacts by channel, 90 days by day": _q("contacts", 90, "day", by="channel"),
    "first contact resolution by channel, 90 days": _q(
        "first_contact_resolution", 90, "day", by="channel"
    ),
    "repeat rate by agent, 30 days": _q("repeat_contact_rate", 30, "day", by="agent"),
    "CSAT by reason for one team, a year by month": _q(
        "csat", 365, "month", by="reason", team="team-3"
    ),
    "ended frustrated, a year by week": _q("ended_frustrated_rate", 364, "week"),
    "FCR by segment, two years by month": _q(
        "first_contact_resolution", 729, "month", by="segment"
    ),
}


def full_scan(path: Path, days: int) -> tuple[float, list[tuple[Any, ...]]]:
    """The same figure as the first query from the interactions themselves."""
    since = (dt.datetime.combine(TODAY - dt.timedelta(days=days - 1), dt.time())).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    db = sqlite3.connect(path)
    started = time.perf_counter()
    rows = db.execute(
        "SELECT substr(started_at, 1, 10) AS day, channel, count(*) FROM interactions"
        " WHERE started_at >= ? GROUP BY day, channel ORDER BY day, channel",
        (since,),
    ).fetchall()
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed, rows


def wait_warm(client: httpx.Client, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while client.get("/readyz").status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server was not ready within {seconds:.0f} s")
        time.sleep(0.5)


def bench_queries(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    path = workdir / "large.db"
    if args.reuse and path.exists():
        with sqlite3.connect(path) as db:
            made = db.execute("SELECT count(*) FROM interactions").fetchone()[0]
            rows = db.execute("SELECT count(*) FROM metric_rollups").fetchone()[0]
        built = {"interactions": made, "rollup_rows": rows, "build_seconds": 0, "reused": True}
        err.print(f"reusing {path}: {made:,} interactions, {rows:,} rollup rows")
    else:
        built = build_memory(path, args.interactions, args.seed)
    engine = make_engine(f"sqlite:///{path}", sqlite_synchronous="OFF")
    _, key = create_key(engine, role="supervisor", name="bench")
    engine.dispose()
    port, log = free_port(), workdir / "server.log"
    server = start_server(f"sqlite:///{path}", port, "OFF", log)
    figures: dict[str, Any] = {**built, "queries": {}}
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ) as client:
            wait_ready(client, server, log)
            # As a load balancer would: no question until the process is ready (its models
            # load in a thread at start, and would otherwise share the CPU with the first
            # question's timings).
            wait_warm(client)
            for name, spec in QUERIES.items():
                params = {k: v for k, v in spec.items() if k != "days"}
                params |= {
                    "from": (TODAY - dt.timedelta(days=spec["days"] - 1)).isoformat(),
                    "to": TODAY.isoformat(),
                }  # type: ignore[operator]
                for _ in range(5):  # warm the page cache and the plan
                    assert client.get("/v1/metrics", params=params).status_code == 200
                times = []
                for _ in range(args.repeats):
                    started = time.perf_counter()
                    response = client.get("/v1/metrics", params=params)
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.text
                figures["queries"][name] = {
                    "p50_ms": round(percentile(times, 0.5), 2),
                    "p99_ms": round(percentile(times, 0.99), 2),
                }
                err.print(f"{name}: p99 {figures['queries'][name]['p99_ms']} ms")
            body = client.get(
                "/v1/metrics",
                params={
                    "measure": "contacts",
                    "by": "channel",
                    "period": "day",
                    "from": (TODAY - dt.timedelta(days=89)).isoformat(),
                    "to": TODAY.isoformat(),
                },
            ).json()
    finally:
        stop_server(server)
    scans = [full_scan(path, 90) for _ in range(3)]
    scan_ms = min(s for s, _ in scans) * 1000
    from_rollups = {
        (p["bucket"], s["group"]): int(p["value"])
        for s in body["series"]
        for p in s["points"]
        if p["value"]
    }
    from_rows = {(day, channel): n for day, channel, n in scans[0][1]}
    figures["full_scan_ms"] = round(scan_ms, 1)
    figures["full_scan_agrees"] = from_rollups == from_rows
    figures["p99_ms"] = max(q["p99_ms"] for q in figures["queries"].values())
    return figures


def render(figures: dict[str, Any]) -> Table:
    table = Table(title="metrics: rollups at ingest, answers from them, rebuild")
    table.add_column("measure")
    table.add_column("figure", justify="right")
    table.add_column("baseline (same run)", justify="right")
    table.add_column("goal")
    if "ingest" in figures:
        i = figures["ingest"]
        for path, said in (
            ("api", "a connection a batch (API)"),
            ("import", "one bulk connection (import)"),
        ):
            p = i[path]
            table.add_row(
                f"ingest {i['events']:,} events, rollups on, {said}",
                f"{p['rate_on']:,} ev/s ({p['ratio']:.1%})",
                f"off: {p['rate_off']:,} ev/s",
                f">= {GOAL_RATIO:.0%}" if path == "api" else "",
            )
            table.add_row(
                "  the same in CPU seconds (least of the rounds)",
                f"{min(p['cpu_seconds_on'])} s ({p['cpu_ratio']:.1%})",
                f"off: {min(p['cpu_seconds_off'])} s",
                "",
            )
        table.add_row(
            "rebuild agrees with ingest",
            str(i["rebuild_agrees"]),
            f"rebuild {i['rebuild_seconds']} s ({i['contributions']:,} contributions)",
            "exactly",
        )
    if "queries" in figures:
        q = figures["queries"]
        for name, f in q["queries"].items():
            table.add_row(
                f"GET /v1/metrics: {name}",
                f"p50 {f['p50_ms']} / p99 {f['p99_ms']} ms",
                "",
                f"p99 <= {GOAL_P99_MS:.0f} ms",
            )
        table.add_row(
            f"full scan of {q['interactions']:,} interactions, contacts by channel, 90 days",
            f"{q['full_scan_ms']:,} ms",
            "",
            f"same figure: {q['full_scan_agrees']}",
        )
    return table  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--customers", type=int, default=1000, help="demo customers for the ingest part"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--interactions", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-queries", action="store_true")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="answer from the large memory a previous run left in --workdir (built in the"
        " same way), instead of building it again",
    )
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="wl-metrics-"))
    workdir.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {
        "bench": "metrics",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    try:
        if not args.skip_ingest:
            figures["ingest"] = bench_ingest(args, workdir)
        if not args.skip_queries:
            figures["queries"] = bench_queries(args, workdir)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    figures["goal"] = {
        "ingest_ratio_min": GOAL_RATIO,
        "p99_ms_max": GOAL_P99_MS,
        "met": bool(
            (
                "ingest" not in figures
                or (
                    figures["ingest"]["ratio"] >= GOAL_RATIO and figures["ingest"]["rebuild_agrees"]
                )
            )
            and ("queries" not in figures or figures["queries"]["p99_ms"] <= GOAL_P99_MS)
        ),
    }
    out.print(render(figures))
    print(json.dumps(figures, ensure_ascii=False, default=str), flush=True)


if __name__ == "__main__":
    main()
