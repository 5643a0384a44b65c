"""``warmline import`` and ``warmline rebuild``: events in from a file, and the memory
replayed from the raw event log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from warmline.actions.ingest import ItemResult, ingest_events
from warmline.actions.rebuild import rebuild_projections
from warmline.actions.risk import risk_policy
from warmline.cli.console import check_schema, console, engine_for, err
from warmline.config import Settings
from warmline.events import EventError


def import_events(
    path: Annotated[
        Path,
        typer.Argument(
            help="A JSON Lines file: one CloudEvents envelope a line.", exists=True, dir_okay=False
        ),
    ],
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="Events per transaction.")
    ] = 1000,
    show_errors: Annotated[
        int, typer.Option(help="How many rejected lines, and lines with warnings, to print.")
    ] = 20,
) -> None:
    """Bulk-load events (one envelope a line) through the same path as POST /v1/events.

    Safe to re-run: events already stored are skipped as duplicates. Lines stored with
    warnings (an identifier kept as written, a trait left out) are counted and printed.
    Exits 1 if any line was rejected.
    """
    settings = Settings()
    engine = engine_for(settings)
    check_schema(engine)
    totals = {"accepted": 0, "pending": 0, "duplicate": 0, "rejected": 0}
    rejected: list[tuple[int, ItemResult]] = []
    warned: list[tuple[int, ItemResult]] = []
    batch: list[Any] = []
    lines: list[int] = []

    def flush() -> None:
        result = ingest_events(
            engine,
            batch,
            region=settings.default_region,
            max_batch=settings.max_batch_events,
            insight=settings.insight,
            risk=risk_policy(settings),
        )
        for item in result.items:
            totals[item.status] += 1
            if item.status == "rejected":
                rejected.append((lines[item.index], item))
            elif item.warnings:
                warned.append((lines[item.index], item))
        batch.clear()
        lines.clear()

    progress = Progress(
        TextColumn("importing"),
        BarColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
    )
    with path.open("rb") as handle, progress:
        task = progress.add_task("import", total=path.stat().st_size)
        for number, line in enumerate(handle, start=1):
            progress.advance(task, len(line))
            if not line.strip():
                continue
            try:
                batch.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                totals["rejected"] += 1
                error = EventError("", f"not valid JSON: {exc}", "invalid_json")
                rejected.append((number, ItemResult(-1, None, None, "rejected", errors=(error,))))
                continue
            lines.append(number)
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()

    table = Table("accepted", "pending", "duplicates", "rejected", "warned")
    table.add_row(
        *(str(totals[k]) for k in ("accepted", "pending", "duplicate", "rejected")),
        str(len(warned)),
    )
    console.print(table)
    _print_items(rejected, "rejected", show_errors)
    _print_items(warned, "stored with warnings", show_errors)
    if rejected:
        raise typer.Exit(1)


def _print_items(items: list[tuple[int, ItemResult]], what: str, show: int) -> None:
    for number, item in items[:show]:
        for e in item.errors or item.warnings:
            # Reasons quote the input: print them as plain text, never as Rich markup.
            label = "warning: " if not item.errors else ""
            err.print(
                f"line {number}: {label}{e.field or '/'}: {e.reason} [{e.code}]", markup=False
            )
    if len(items) > show:
        err.print(f"... and {len(items) - show} more lines {what}")


def rebuild() -> None:
    """Rebuild every projection from the raw event log (same events, same memory)."""
    settings = Settings()
    engine = engine_for(settings)
    check_schema(engine)
    with Progress(
        TextColumn("replaying"), BarColumn(), TextColumn("{task.completed} events"), console=err
    ) as progress:
        task = progress.add_task("rebuild", total=None)
        count = rebuild_projections(
            engine,
            region=settings.default_region,
            insight=settings.insight,
            progress=lambda n: progress.advance(task, n),
        )
    console.print(f"rebuilt the memory from {count} events")
