"""Import benchmark: ``warmline import`` (reading and translating a file, then ingest)
against the ingest floor (the same events, built before the clock starts, through
:func:`warmline.actions.ingest.ingest_events` alone), in the same run.

Two files are generated (never timed): a CSV of customers read by a mapping (default
20,000 rows: identifiers, a name and a date of birth, one ``customer.identified`` each)
and an mbox archive of email threads (default 2,000 threads of three messages, threads
found by References, quoted history stripped). Each is imported into a freshly migrated
SQLite file by the command's own readers and :func:`warmline.actions.imports.import_items`
(batches of 1,000, insight off, as the floor has no models), then the same events are
ingested into another fresh file from memory, chunk by chunk. The ratio says what reading
a file costs on top of ingest. A second run of the CSV import (every row a duplicate)
measures resuming. The process's peak resident memory is reported, and the CSV reader
alone runs over a million rows and over a tenth of that, each in a fresh process: equal
peaks say the file is streamed, never held (``tests/storage/test_import_streaming.py``
checks that the import stores each batch before it reads the next).

    .venv/bin/python benchmarks/import.py
    .venv/bin/python benchmarks/import.py --rows 1000000 --threads 0 --skip-floor   # 1M rows
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import itertools
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine

from warmline.actions.imports import Item, import_items
from warmline.actions.ingest import ingest_events
from warmline.cli.import_readers import Meter, read_csv, read_mbox
from warmline.domain.imports.csv_rows import Decoding
from warmline.storage.engine import make_engine
from warmline.storage.migrate import upgrade

GOAL_RATIO = 0.80
BATCH = 1_000
CHUNK = 20_000  # floor events built (untimed), then ingested (timed), at a time
MAPPING = """
kind: customers
source: legacy-crm
columns:
  "Customer No": {identifier: customer_number, verified: true}
  "E-mail": identifier.email
  "Mobile": identifier.phone
  "Full name": trait.name
  "Born": {trait: date_of_birth, format: "%d/%m/%Y"}
"""
# Names made of syllables: as varied as a real customer base (a handful of names shared by
# thousands would make every blocking key a crowd and measure that instead).
SYLLABLES = [a + b for a in "bdfghjklmnprstvwyz" for b in "aeiou"]
out = Console()
err = Console(stderr=True)


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's ``VmHWM`` first: it starts afresh at
    ``exec``, whereas ``ru_maxrss`` carries over the parent's peak into a child process."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_csv(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        handle.write("Customer No,E-mail,Mobile,Full name,Born\n")
        for n in range(rows):
            first = "".join(rng.choice(SYLLABLES) for _ in range(2)).title()
            last = "".join(rng.choice(SYLLABLES) for _ in range(3)).title()
            born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(25_000))
            handle.write(
                f"C-{n:08d},{first.lower()}.{last.lower()}.{n}@example.net,"
                f"+44 20 79{n % 100_000:05d}{n // 100_000 % 10},{first} {last},"
                f"{born:%d/%m/%Y}\n"
            )


def write_mbox(path: Path, threads: int, seed: int) -> int:
    rng = random.Random(seed)
    start = dt.datetime(2025, 1, 1, 9, tzinfo=dt.UTC)
    messages = 0
    with path.open("w", encoding="utf-8") as handle:
        for n in range(threads):
            customer = f"{rng.choice(SYLLABLES)}{rng.choice(SYLLABLES)}.{n}@example.org"
            root, reply = f"<t{n}@example.org>", f"<r{n}@bank.example>"
            when = start + dt.timedelta(minutes=7 * n)
            parts = [
                (customer, "help@bank.example", f"t{n}", None, "", "My card was declined twice."),
                ("help@bank.example", customer, f"r{n}", root, root,
                 "We lifted the block.\n\nOn Mon, someone wrote:\n> My card was declined twice."),
                (customer, "help@bank.example", f"f{n}", reply, f"{root} {reply}",
                 "Thanks, it works.\n\n> We lifted the block."),
            ]  # fmt: skip
            for k, (sender, to, own, parent, refs, body) in enumerate(parts):
                stamp = when + dt.timedelta(minutes=20 * k)
                handle.write(f"From {sender} {stamp:%a %b %d %H:%M:%S %Y}\n")
                handle.write(f"From: {sender}\nTo: {to}\nSubject: Card declined {n}\n")
                handle.write(f"Date: {email.utils.format_datetime(stamp)}\n")
                handle.write(f"Message-ID: <{own}@{sender.split('@')[1]}>\n")
                if parent:
                    handle.write(f"In-Reply-To: {parent}\nReferences: {refs}\n")
                handle.write(f"\n{body}\n\n")
                messages += 1
    return messages


def fresh(path: Path, template: Path, synchronous: str) -> Engine:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copy(template, path)
    return make_engine(f"sqlite:///{path}", sqlite_synchronous=synchronous)


def reader(kind: str, path: Path, mapping: Path) -> Iterator[Item]:
    meter = Meter()
    if kind == "csv":
        return read_csv(
            path, meter, mapping_path=mapping, delimiter=None, fallback="cp1252", region="GB",
            decoding=Decoding(),
        )  # fmt: skip
    return read_mbox(path, meter, source="mbox", ours=["bank.example"])


def run_import(engine: Engine, kind: str, path: Path, mapping: Path) -> dict[str, Any]:
    started = time.perf_counter()
    report = import_items(engine, reader(kind, path, mapping), batch_size=BATCH, insight=False)
    seconds = time.perf_counter() - started
    events = sum(report.statuses.values())
    return {"events": events, "seconds": round(seconds, 2), "rate": round(events / seconds),
            "statuses": dict(report.statuses), "rejected": report.rejected_total}  # fmt: skip


def read_only(path: Path, mapping: Path) -> dict[str, Any]:
    """The CSV reader alone over ``path`` (run in a fresh process: its own peak memory)."""
    started = time.perf_counter()
    rows = sum(1 for _ in reader("csv", path, mapping))
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": round(seconds, 2), "rate": round(rows / seconds),
            "peak_rss_mb": round(peak_rss_mb(), 1)}  # fmt: skip


def stream(work: Path, rows: int, seed: int) -> dict[str, Any]:
    """The reader over a tenth of ``rows`` and over all of them, each in a fresh process:
    if it held rows, the larger file's peak memory would be about ten times the smaller's
    growth; streaming, the two peaks are alike."""
    runs = []
    for n in (rows // 10, rows):
        path = work / f"stream-{n}.csv"
        write_csv(path, n, seed)
        child = subprocess.run(
            [sys.executable, __file__, "--read-only", str(path), "--workdir", str(work)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        runs.append({**json.loads(child.stdout.strip().splitlines()[-1]),
                     "bytes": path.stat().st_size})  # fmt: skip
        path.unlink()
    small, large = runs
    return {"small": small, "large": large,
            "peak_ratio": round(large["peak_rss_mb"] / small["peak_rss_mb"], 3)}  # fmt: skip


def run_floor(engine: Engine, kind: str, path: Path, mapping: Path) -> dict[str, Any]:
    items = (item for _, item, _ in reader(kind, path, mapping) if isinstance(item, dict))
    events, seconds = 0, 0.0
    while chunk := list(itertools.islice(items, CHUNK)):  # built before the clock starts
        started = time.perf_counter()
        for n in range(0, len(chunk), BATCH):
            ingest_events(engine, chunk[n : n + BATCH], insight=False)
        seconds += time.perf_counter() - started
        events += len(chunk)
    return {"events": events, "seconds": round(seconds, 2), "rate": round(events / seconds)}


def bench(
    kind: str, path: Path, args: argparse.Namespace, work: Path, template: Path
) -> dict[str, Any]:
    mapping = work / "mapping.yaml"
    # Both paths once on the file's first batches, untimed: neither pays for the process's
    # first compiled statements, caches and imports while the other does not.
    head = list(itertools.islice(reader(kind, path, mapping), 2 * BATCH))
    warm = fresh(work / "warm.db", template, args.sqlite_synchronous)
    import_items(warm, head, batch_size=BATCH, insight=False)
    warm = fresh(work / "warm.db", template, args.sqlite_synchronous)
    events = [item for _, item, _ in head if isinstance(item, dict)]
    for n in range(0, len(events), BATCH):
        ingest_events(warm, events[n : n + BATCH], insight=False)
    warm.dispose()
    # Rounds alternate the two paths, each on a fresh file, and the best of each counts:
    # on a shared machine, load that comes and goes then hits both alike.
    imports: list[dict[str, Any]] = []
    floors: list[dict[str, Any]] = []
    for round_ in range(1, args.rounds + 1):
        err.print(f"[{kind}] round {round_}: import …")
        ours = fresh(work / f"{kind}-ours.db", template, args.sqlite_synchronous)
        imports.append(run_import(ours, kind, path, mapping))
        ours.dispose()
        if not args.skip_floor:
            err.print(f"[{kind}] round {round_}: ingest floor …")
            floor = fresh(work / f"{kind}-floor.db", template, args.sqlite_synchronous)
            floors.append(run_floor(floor, kind, path, mapping))
            floor.dispose()
    best = max(imports, key=lambda r: r["rate"])
    result: dict[str, Any] = {"import": best, "bytes": path.stat().st_size,
                              "import_rates": [r["rate"] for r in imports]}  # fmt: skip
    if kind == "csv":
        err.print("[csv] import again (every row in already: the resume path) …")
        again = make_engine(
            f"sqlite:///{work / 'csv-ours.db'}", sqlite_synchronous=args.sqlite_synchronous
        )
        result["rerun"] = run_import(again, kind, path, mapping)
    if floors:
        result["floor"] = max(floors, key=lambda r: r["rate"])
        result["floor_rates"] = [r["rate"] for r in floors]
        result["ratio"] = round(best["rate"] / result["floor"]["rate"], 3)
    return result


def render(figures: dict[str, Any]) -> Table:
    table = Table(
        title=f"warmline import vs the ingest floor, best of {figures['rounds']} alternating "
        f"rounds (SQLite synchronous={figures['synchronous']})"
    )
    for column in (
        "file",
        "items",
        "import events/s",
        "floor events/s",
        "import / floor",
        "rerun events/s",
    ):
        table.add_column(column, justify="right")
    for kind, label in (
        ("csv", f"{figures['rows']:,} CSV rows"),
        ("mbox", f"{figures['messages']:,} mbox messages"),
    ):
        run = figures.get(kind)
        if not run:
            continue
        floor = run.get("floor", {})
        table.add_row(
            label, f"{run['import']['events']:,}", f"{run['import']['rate']:,}",
            f"{floor.get('rate', 0):,}" if floor else "-",
            f"{run['ratio']:.1%}" if "ratio" in run else "-",
            f"{run['rerun']['rate']:,}" if "rerun" in run else "-",
        )  # fmt: skip
    caption = f"peak resident memory of the whole run: {figures['peak_rss_mb']:.0f} MB"
    if streamed := figures.get("stream"):
        small, large = streamed["small"], streamed["large"]
        caption += (
            f"\nthe CSV reader alone, each in a fresh process: {small['rows']:,} rows "
            f"({small['bytes'] / 2**20:.0f} MB) peak {small['peak_rss_mb']:.0f} MB; "
            f"{large['rows']:,} rows ({large['bytes'] / 2**20:.0f} MB) peak "
            f"{large['peak_rss_mb']:.0f} MB at {large['rate']:,} rows/s "
            f"(peak ratio {streamed['peak_ratio']:.2f} for 10x the rows)"
        )
    table.caption = caption
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="CSV rows (default 20000)")
    parser.add_argument(
        "--threads", type=int, default=2_000, help="mbox threads of 3 messages; 0 skips"
    )
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--sqlite-synchronous", choices=("FULL", "NORMAL", "OFF"), default="FULL")
    parser.add_argument("--skip-floor", action="store_true", help="import only (e.g. 1M rows)")
    parser.add_argument(
        "--stream-rows", type=int, default=1_000_000,
        help="rows of a CSV read (not stored), and a tenth of them, each in a fresh process, "
        "to show memory stays flat; 0 skips (default 1M)",
    )  # fmt: skip
    parser.add_argument("--read-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; best counts")
    parser.add_argument("--workdir", type=Path, help="where the files go (default: temp)")
    args = parser.parse_args(argv)
    if args.read_only:  # the child process of stream()
        print(json.dumps(read_only(args.read_only, args.workdir / "mapping.yaml")), flush=True)
        return
    work = args.workdir or Path(tempfile.mkdtemp(prefix="warmline-import-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {
        "benchmark": "import", "rows": args.rows, "messages": 0, "batch": BATCH,
        "synchronous": args.sqlite_synchronous, "python": platform.python_version(),
        "cpus": os.cpu_count(), "rounds": args.rounds,
    }  # fmt: skip
    try:
        template = work / "template.db"
        migrated = make_engine(f"sqlite:///{template}")
        upgrade(migrated)
        migrated.dispose()  # checkpointed: the file alone holds the schema
        (work / "mapping.yaml").write_text(MAPPING)
        err.print(f"writing {args.rows:,} CSV rows and {args.threads:,} mbox threads (untimed) …")
        write_csv(work / "customers.csv", args.rows, args.seed)
        figures["csv"] = bench("csv", work / "customers.csv", args, work, template)
        if args.stream_rows:
            err.print(f"reading {args.stream_rows:,} and a tenth as many rows, not stored …")
            figures["stream"] = stream(work, args.stream_rows, args.seed + 1)
        if args.threads:
            figures["messages"] = write_mbox(work / "support.mbox", args.threads, args.seed)
            figures["mbox"] = bench("mbox", work / "support.mbox", args, work, template)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    figures["peak_rss_mb"] = round(peak_rss_mb())
    ratios = [
        figures[k]["ratio"] for k in ("csv", "mbox") if k in figures and "ratio" in figures[k]
    ]
    figures["goal"] = {"ratio_min": GOAL_RATIO, "met": bool(ratios) and min(ratios) >= GOAL_RATIO}
    out.print(render(figures))
    print(json.dumps(figures, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
