"""A full ``warmline import`` of a large customers CSV, end to end through the command
line (reader, mapping, identity resolution, ingest, SQLite on disk), then the same command
again on the same file: the resume path, where every row is in already and is skipped.

Each import runs in its own fresh process (``warmline import`` itself, run by this script
through the Typer app so the process can report its own peak memory: Linux's ``VmHWM``,
which starts afresh at ``exec``, and ``resource.getrusage``). The baseline, in the same
run and process, is the CSV reader alone over the same file (no storage): the import's
rate over the reader's says what storing costs, and the reader's peak memory against the
import's says the import holds no more than a batch.

The first import's rate is also given for each fifth of the file, from when each batch
was received: a rate that held as the memory grew says no cost grows with its size.

    .venv/bin/python benchmarks/import_full.py --rows 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
bench_import = __import__("import")  # benchmarks/import.py: its CSV and mapping

out = Console()
err = Console(stderr=True)


def peak_mb() -> dict[str, float]:
    """This process's peak resident memory: ``VmHWM`` and ``ru_maxrss``."""
    hwm = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) / 1024
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"vmhwm_mb": round(hwm, 1), "ru_maxrss_mb": round(maxrss, 1)}


def child(argv: list[str], report: Path) -> None:
    """Run ``warmline <argv>`` in this process; write its exit code and peak memory."""
    from warmline.cli import app

    code = 0
    try:
        app(argv, standalone_mode=False)
    except SystemExit as exc:
        code = int(exc.code or 0)
    except Exception as exc:  # reported, the parent decides
        code = 99
        err.print(f"import failed: {exc!r}")
    report.write_text(json.dumps({"exit": code, **peak_mb()}))


def run_cli(work: Path, db: Path, argv: list[str], label: str) -> dict[str, Any]:
    report = work / f"{label}.json"
    env = {**os.environ, "WARMLINE_DATABASE_URL": f"sqlite:///{db}"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(report), "--", *argv],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    result = {"seconds": round(seconds, 1), **json.loads(report.read_text())}
    result["summary"] = done.stdout.strip().splitlines()[-8:]
    if result["exit"] not in (0,):
        err.print(done.stdout[-3000:], done.stderr[-3000:])
    return result


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {
            table: conn.execute(f"select count(*) from {table}").fetchone()[0]
            for table in ("raw_events", "customers", "identifiers")
        }


def rate_by_size(db: Path, parts: int = 5) -> list[dict[str, Any]]:
    """The import's rate over each part of the file (by rows stored), from when each batch
    was received (``raw_events.received_at``, one time a batch): whether it falls as the
    memory grows."""
    with sqlite3.connect(db) as conn:
        batches = conn.execute(
            "select received_at, count(*) from raw_events group by received_at order by 1"
        ).fetchall()
    starts = [dt.datetime.fromisoformat(at) for at, _ in batches]
    sizes = [n for _, n in batches]
    total, segments = sum(sizes), []
    first, done = 0, 0
    for index, size in enumerate(sizes):
        done += size
        last = index == len(sizes) - 1
        if (done >= total * (len(segments) + 1) / parts or last) and index + 1 > first:
            # Batch ``index`` ends when the next starts; the last batch's end is not
            # recorded, so the last part runs to the start of its last batch.
            end = index + 1 if not last else index
            seconds = (starts[end] - starts[first]).total_seconds()
            rows = sum(sizes[first:end])
            if seconds > 0:
                segments.append({
                    "from_rows": sum(sizes[:first]), "to_rows": sum(sizes[:end]),
                    "seconds": round(seconds, 1), "rate": round(rows / seconds),
                })  # fmt: skip
            first = end
    return segments


def main(argv: list[str] | None = None) -> None:
    if argv is None and len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[4:], Path(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--workdir", type=Path, help="where the files go (default: temp)")
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="warmline-import-full-"))
    work.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {
        "benchmark": "import_full", "rows": args.rows, "python": platform.python_version(),
        "cpus": os.cpu_count(), "load_before": os.getloadavg()[0],
    }  # fmt: skip
    try:
        csv, mapping, db = work / "customers.csv", work / "mapping.yaml", work / "memory.db"
        mapping.write_text(bench_import.MAPPING)
        err.print(f"writing {args.rows:,} CSV rows (untimed) …")
        bench_import.write_csv(csv, args.rows, args.seed)
        figures["bytes"] = csv.stat().st_size
        db.unlink(missing_ok=True)
        err.print("migrating …")
        run_cli(work, db, ["db", "upgrade"], "migrate")
        err.print("the CSV reader alone (baseline) …")
        reader = bench_import.read_only(csv, mapping)
        figures["reader"] = reader
        command = ["import", str(csv), "--mapping", str(mapping)]
        err.print("warmline import …")
        first = run_cli(work, db, command, "first")
        first["rate"] = round(args.rows / first["seconds"])
        first["stored"] = counts(db)
        first["by_size"] = rate_by_size(db)
        figures["import"] = first
        err.print("warmline import again (every row in already) …")
        again = run_cli(work, db, command, "again")
        again["rate"] = round(args.rows / again["seconds"])
        again["stored"] = counts(db)
        figures["rerun"] = again
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    figures["load_after"] = os.getloadavg()[0]
    figures["import_over_reader"] = round(figures["import"]["rate"] / reader["rate"], 3)
    figures["rerun_skipped_all"] = figures["rerun"]["stored"] == figures["import"]["stored"]
    table = Table(title=f"warmline import of {args.rows:,} CSV rows, end to end (SQLite)")
    for column in ("run", "seconds", "rows/s", "peak RSS MB", "events", "customers", "exit"):
        table.add_column(column, justify="right")
    table.add_row("reader alone (baseline)", str(reader["seconds"]), f"{reader['rate']:,}",
                  str(reader["peak_rss_mb"]), "-", "-", "-")  # fmt: skip
    for label, run in (("import", figures["import"]), ("rerun (resume)", figures["rerun"])):
        table.add_row(label, str(run["seconds"]), f"{run['rate']:,}", str(run["vmhwm_mb"]),
                      f"{run['stored']['raw_events']:,}", f"{run['stored']['customers']:,}",
                      str(run["exit"]))  # fmt: skip
    table.caption = (
        f"{figures['bytes'] / 2**20:.0f} MB file; import rate {figures['import_over_reader']:.1%} "
        f"of the reader's; rerun stored nothing new: {figures['rerun_skipped_all']}"
    )
    out.print(table)
    parts = Table(title="the import's rate as the memory grows (from each batch's received_at)")
    for column in ("rows stored before", "rows stored after", "seconds", "rows/s"):
        parts.add_column(column, justify="right")
    for part in figures["import"]["by_size"]:
        parts.add_row(f"{part['from_rows']:,}", f"{part['to_rows']:,}", str(part["seconds"]),
                      f"{part['rate']:,}")  # fmt: skip
    out.print(parts)
    for run in ("import", "rerun"):
        figures[run].pop("summary", None)
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
