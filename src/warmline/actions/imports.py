"""Bulk import: items read from a file (an event, or why a row was left out) stored
through ingest in batches, or tried in a transaction that is rolled back (``dry_run``).

The reader streams: only one batch is held at a time, so a file of a million rows is
never in memory. Event ids are derived from the rows, so running the same import again
after a crash stores only what was not in yet (the rest reports ``duplicate``).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from warmline.actions.ingest import ItemResult, ingest_events, store_new, validate_batch
from warmline.domain.imports.rejection import Note, Rejection
from warmline.storage.engine import bulk_writing, make_engine

#: What a reader yields: where the item is in the file ("line 12", "message 3") and the
#: event it became, or why it was left out, and anything left out of it.
Item = tuple[str, dict[str, Any] | Rejection, list[Note]]
SHOWN = 50


@dataclass
class ImportReport:
    """Counts by ingest status and by how customers were found; rejections with why."""

    dry_run: bool
    statuses: Counter[str] = field(default_factory=Counter)
    resolutions: Counter[str] = field(default_factory=Counter)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)
    rejected_total: int = 0
    notes: list[tuple[str, Note]] = field(default_factory=list)
    notes_total: int = 0
    #: Events stored although a field of theirs was not (a bad identifier kept as written,
    #: a trait left out): ingest's warnings.
    warned: int = 0

    def reject(self, where: str, reason: str, code: str) -> None:
        self.rejected_total += 1
        if len(self.rejected) < SHOWN:
            self.rejected.append((where, reason, code))

    def note(self, where: str, note: Note) -> None:
        self.notes_total += 1
        if len(self.notes) < SHOWN:
            self.notes.append((where, note))

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "statuses": dict(self.statuses),
            "customers": dict(self.resolutions),
            "rejected": self.rejected_total,
            "warned": self.warned,
            "warnings": self.notes_total,
        }


def import_items(
    engine: Engine,
    items: Iterable[Item],
    *,
    dry_run: bool = False,
    batch_size: int = 1000,
    region: str = "GB",
    insight: bool = True,
    progress: Callable[[], None] | None = None,
) -> ImportReport:
    """Store ``items``' events in batches of ``batch_size`` (or, ``dry_run``, store them in
    one transaction rolled back at the end, so what would be created, linked and merged is
    counted exactly and nothing is kept)."""
    report = ImportReport(dry_run)
    if dry_run:
        with _dry_run_store(engine) as store_engine:
            _dry_run(store_engine, items, batch_size, region, report, progress)
        return report

    # One connection for the whole file, each batch its own transaction on it.
    with bulk_writing(engine) as conn:

        def ingest(batch: list[dict[str, Any]]) -> list[ItemResult]:
            return ingest_events(
                engine, batch, region=region, max_batch=batch_size, insight=insight, conn=conn
            ).items

        _run(items, ingest, batch_size, report, progress)
    return report


@contextmanager
def _dry_run_store(engine: Engine) -> Iterator[Engine]:
    """Where a dry run stores what it rolls back. A SQLite file is copied first (the backup
    API: a consistent snapshot, taken without stopping writers), since a transaction there
    holds the one write lock: a long dry run on the live file would stop every other writer
    until it ended. PostgreSQL runs it on the database itself, where its transaction only
    holds the rows it touches."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield engine
        return
    with tempfile.TemporaryDirectory(prefix="warmline-dry-run-") as folder:
        copy_path = Path(folder) / "snapshot.db"
        source = sqlite3.connect(path)
        try:
            with closing(sqlite3.connect(copy_path)) as target:
                source.backup(target)
        finally:
            source.close()
        copy = make_engine(f"sqlite:///{copy_path}", sqlite_synchronous="OFF")
        try:
            yield copy
        finally:
            copy.dispose()


def _dry_run(
    engine: Engine,
    items: Iterable[Item],
    batch_size: int,
    region: str,
    report: ImportReport,
    progress: Callable[[], None] | None,
) -> None:
    """Store every batch in one transaction, rolled back at the end: what would be created,
    linked and merged is counted exactly, and nothing is kept."""
    with bulk_writing(engine) as conn:
        transaction = conn.begin()
        try:

            def store(batch: list[dict[str, Any]]) -> list[ItemResult]:
                results, valid = validate_batch(batch, region=region)
                stored = store_new(conn, valid, dt.datetime.now(dt.UTC), region, False, False)
                for index, event in valid:
                    results[index] = stored.get(index) or ItemResult(
                        index, event.source, event.id, "duplicate"
                    )
                return [r for r in results if r is not None]

            _run(items, store, batch_size, report, progress)
        finally:
            transaction.rollback()


def _run(
    items: Iterable[Item],
    store: Callable[[list[dict[str, Any]]], list[ItemResult]],
    batch_size: int,
    report: ImportReport,
    progress: Callable[[], None] | None,
) -> None:
    batch: list[dict[str, Any]] = []
    where: list[str] = []

    def flush() -> None:
        for item in store(batch):
            report.statuses[item.status] += 1
            if item.resolution:
                report.resolutions[item.resolution] += 1
            for error in item.errors:
                report.reject(
                    where[item.index], f"{error.field or '/'}: {error.reason}", error.code
                )
            if item.warnings and not item.errors:
                report.warned += 1
                for warning in item.warnings:
                    report.note(
                        where[item.index],
                        Note(warning.field or "/", warning.reason, warning.code),
                    )
        batch.clear()
        where.clear()
        if progress:
            progress()

    for position, item, notes in items:
        for note in notes:
            report.note(position, note)
        if isinstance(item, Rejection):
            report.statuses["rejected"] += 1
            report.reject(position, item.reason, item.code)
            continue
        batch.append(item)
        where.append(position)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
