"""Back up and restore an SQLite memory with SQLite's online backup API.

The backup copies the database page by page while the server keeps serving: each step
reads a consistent snapshot, and if a writer changes the database between steps SQLite
restarts the copy, so the file it leaves is always one committed state, never a torn
copy of a file being written (``cp`` of a WAL database can be). The copy is written
beside its destination and renamed into place only once it is whole and checked.

PostgreSQL has its own tools (``pg_dump``/``pg_restore``; see the README).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.errors import InvalidRequest

PAGES_PER_STEP = 1024  # 4 MiB a step at the default page size: writers wait at most that


@dataclass(frozen=True)
class BackupFile:
    path: Path
    bytes: int
    schema: str | None


def sqlite_path(engine: Engine) -> Path:
    """The file of an SQLite engine (a clear error for PostgreSQL or an in-memory one)."""
    url = engine.url
    if url.get_backend_name() != "sqlite":
        raise InvalidRequest(
            "backup_not_sqlite",
            "`warmline backup` and `restore` work on SQLite; this memory is on "
            f"{url.get_backend_name()}",
            hint="back up PostgreSQL with pg_dump -Fc, restore it with pg_restore "
            "(the README's 'Backup and restore' shows how)",
        )
    if not url.database or url.database == ":memory:":
        raise InvalidRequest(
            "backup_no_file", "this SQLite memory has no file to back up", hint="use a file URL"
        )
    return Path(url.database)


def backup(engine: Engine, destination: Path) -> BackupFile:
    """Copy the live memory of ``engine`` to ``destination`` (which must not exist)."""
    sqlite_path(engine)
    if destination.exists():
        raise InvalidRequest(
            "backup_exists",
            f"{destination} already exists; a backup never overwrites a file",
            hint="choose a new file name, or move the old backup away first",
        )
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    with engine.connect() as conn:
        source = conn.connection.driver_connection
        assert isinstance(source, sqlite3.Connection)
        target = sqlite3.connect(partial)
        try:
            source.backup(target, pages=PAGES_PER_STEP)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            _check(target, partial)
        finally:
            target.close()
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())
    partial.replace(destination)
    return BackupFile(destination, destination.stat().st_size, schema_of(destination))


def restore(engine: Engine, source: Path) -> BackupFile:
    """Replace the memory of ``engine`` with the backup at ``source``, in one step.

    Stop the server first: a request served during a restore sees the old memory or the
    new one, but its own writes would be lost with the old."""
    sqlite_path(engine)
    if not source.is_file():
        raise InvalidRequest(
            "backup_missing", f"no backup file at {source}", hint="give the path of a backup"
        )
    backup_db = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        _check(backup_db, source)
        with engine.connect() as conn:
            live = conn.connection.driver_connection
            assert isinstance(live, sqlite3.Connection)
            backup_db.backup(live, pages=PAGES_PER_STEP)
    finally:
        backup_db.close()
    engine.dispose()  # pooled connections may hold pages of the old memory
    return BackupFile(source, source.stat().st_size, schema_of(source))


def _check(conn: sqlite3.Connection, path: Path) -> None:
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
        conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError as exc:
        raise InvalidRequest(
            "backup_unreadable",
            f"{path} is not a Warmline SQLite memory ({exc})",
            hint="give a file made by `warmline backup`",
        ) from None
    if problems != ["ok"]:
        raise InvalidRequest(
            "backup_corrupt",
            f"{path} failed SQLite's integrity check: {'; '.join(problems[:3])}",
            hint="use another backup",
        )


def schema_of(path: Path) -> str | None:
    """The schema revision recorded in the SQLite file at ``path``."""
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
