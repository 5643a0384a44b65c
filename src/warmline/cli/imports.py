"""``warmline import``: events, CSV exports (by a mapping), mbox archives and Zendesk
exports into the memory through the ingest path, with a progress bar and a dry run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from warmline.actions.imports import ImportReport, Item, import_items
from warmline.cli.console import check_schema, console, engine_for, err, fail
from warmline.cli.import_readers import (
    FORMATS,
    SUFFIXES,
    Meter,
    read_csv,
    read_jsonl,
    read_mbox,
    read_zendesk,
)
from warmline.config import Settings
from warmline.domain.imports.csv_rows import Decoding
from warmline.domain.imports.rejection import FileProblem


def import_file(
    path: Annotated[
        Path,
        typer.Argument(
            help="The file: .jsonl (events), .csv (with --mapping), .mbox or .json (Zendesk).",
            exists=True,
            dir_okay=False,
        ),
    ],
    mapping: Annotated[
        Path | None,
        typer.Option(
            help="CSV: the YAML mapping naming each column's identifier, trait or field.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    file_format: Annotated[
        str | None,
        typer.Option(
            "--format", help=f"One of {', '.join(FORMATS)}; by default from the file's suffix."
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            help="Report what would be created, linked and merged, and what rejected; keep nothing."
        ),
    ] = False,
    ours: Annotated[
        list[str] | None,
        typer.Option(
            help="mbox: the organisation's own domain or address (repeatable); the other "
            "party is the customer."
        ),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="mbox: the events' source (default: mbox).")
    ] = None,
    account: Annotated[
        str, typer.Option(help="Zendesk: the account's subdomain, as its connector names it.")
    ] = "export",
    delimiter: Annotated[
        str | None, typer.Option(help="CSV: the delimiter (default: found from the header).")
    ] = None,
    fallback_encoding: Annotated[
        str, typer.Option(help="CSV: how to read lines that are not UTF-8.")
    ] = "cp1252",
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="Events per transaction.")
    ] = 1000,
    show_errors: Annotated[int, typer.Option(help="How many rejected items to print.")] = 20,
) -> None:
    """Bulk-load a file through the same path as POST /v1/events, streaming it.

    Safe to re-run, and that is how a stopped import resumes: every event's id comes from
    what the file says, so what is in already is skipped as a duplicate. Exits 1 if any
    item was rejected, 2 if the file cannot be read as asked.
    """
    settings = Settings()
    engine = engine_for(settings)
    check_schema(engine)
    kind = file_format or SUFFIXES.get(path.suffix.lower())
    if kind not in FORMATS:
        fail(
            f"[unknown_format] cannot tell how to read {path.name}",
            f"name the format with --format ({', '.join(FORMATS)})",
        )
    if kind == "csv" and mapping is None:
        fail(
            "[mapping_required] a CSV file needs a mapping",
            "pass --mapping mapping.yaml (see docs/integrate.md)",
        )
    meter, decoding = Meter(), Decoding()
    try:
        items = _items(
            kind,
            path,
            meter,
            mapping,
            delimiter,
            fallback_encoding,
            settings.default_region,
            decoding,
            ours or [],
            source,
            account,
        )
    except FileProblem as exc:
        fail(f"[{exc.code}] {exc.reason}", exc.hint)
    except (LookupError, UnicodeError) as exc:
        fail(f"[invalid_encoding] {exc}", "name an encoding Python knows, e.g. cp1252 or latin-1")

    progress = Progress(
        TextColumn("dry run" if dry_run else "importing"),
        BarColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
    )
    with progress:
        task = progress.add_task("import", total=path.stat().st_size)
        try:
            report = import_items(
                engine,
                items,
                dry_run=dry_run,
                batch_size=batch_size,
                region=settings.default_region,
                insight=settings.insight,
                progress=lambda: progress.update(task, completed=meter.done),
            )
        except FileProblem as exc:
            fail(f"[{exc.code}] {exc.reason}", exc.hint)
        progress.update(task, completed=path.stat().st_size)
    _print(report, show_errors, decoding)
    if report.rejected_total:
        raise typer.Exit(1)


def _items(
    kind: str,
    path: Path,
    meter: Meter,
    mapping: Path | None,
    delimiter: str | None,
    fallback: str,
    region: str,
    decoding: Decoding,
    ours: list[str],
    source: str | None,
    account: str,
) -> Iterator[Item]:
    if kind == "jsonl":
        return read_jsonl(path, meter)
    if kind == "csv":
        assert mapping is not None
        "".encode(fallback)  # an unknown encoding is said now, not at the first odd line
        return read_csv(
            path,
            meter,
            mapping_path=mapping,
            delimiter=delimiter,
            fallback=fallback,
            region=region,
            decoding=decoding,
        )
    if kind == "mbox":
        return read_mbox(path, meter, source=source or "mbox", ours=ours)
    return read_zendesk(path, meter, account=account, region=region)


def _print(report: ImportReport, show_errors: int, decoding: Decoding) -> None:
    table = Table(
        "accepted",
        "pending",
        "duplicates",
        "rejected",
        "warned",
        title="would be stored" if report.dry_run else None,
    )
    s = report.statuses
    table.add_row(
        *(str(s[k]) for k in ("accepted", "pending", "duplicate", "rejected")),
        str(report.warned),
    )
    console.print(table)
    r = report.resolutions
    if r:
        people = Table(
            "new customers",
            "known (by identifier)",
            "linked (merged by traits)",
            "for review",
            "ambiguous",
            title="customers the events would name"
            if report.dry_run
            else "customers the events named",
        )
        people.add_row(*(str(r[k]) for k in ("new", "known", "linked", "review", "ambiguous")))
        console.print(people)
    if report.dry_run:
        console.print("dry run: nothing was kept")
    if decoding.fallback_count:
        lines = ", ".join(map(str, decoding.fallback_lines))
        more = "…" if decoding.fallback_count > len(decoding.fallback_lines) else ""
        err.print(
            f"warning [mixed_encoding]: {decoding.fallback_count} line(s) were not UTF-8 and were "
            f"read as {decoding.fallback} (lines {lines}{more})",
            markup=False,
        )
    for where, note in report.notes[:show_errors]:
        # Reasons quote the input: print them as plain text, never as Rich markup.
        err.print(f"{where}: warning: {note.where}: {note.reason} [{note.code}]", markup=False)
    if report.notes_total > show_errors:
        err.print(
            f"... and {report.notes_total - min(show_errors, len(report.notes))} more warnings"
        )
    for where, reason, code in report.rejected[:show_errors]:
        err.print(f"{where}: {reason} [{code}]", markup=False)
    if report.rejected_total > show_errors:
        err.print(f"... and {report.rejected_total - show_errors} more rejected")
