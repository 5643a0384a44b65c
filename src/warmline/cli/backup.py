"""``warmline backup`` and ``warmline restore``: an SQLite memory to a file and back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from warmline.cli.console import console, engine_for, reported_errors
from warmline.config import Settings
from warmline.storage import backup as backups
from warmline.storage import migrate


def backup(
    path: Annotated[Path, typer.Argument(help="The backup file to write (must not exist).")],
) -> None:
    """Back up the SQLite memory in WARMLINE_DATABASE_URL to PATH while it is in use (the
    SQLite online backup API: a consistent copy, checked before it is kept). For PostgreSQL
    use pg_dump (see the README)."""
    engine = engine_for(Settings())
    with reported_errors():
        made = backups.backup(engine, path)
    console.print(f"backed up to [bold]{made.path}[/] ({made.bytes:,} bytes, schema {made.schema})")


def restore(
    path: Annotated[Path, typer.Argument(help="A file made by `warmline backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Replace the memory without asking.")] = False,
) -> None:
    """Replace the SQLite memory in WARMLINE_DATABASE_URL with the backup at PATH. Stop the
    server first; everything written since the backup is replaced."""
    engine = engine_for(Settings())
    with reported_errors():
        target = backups.sqlite_path(engine)
    if not yes:
        typer.confirm(f"replace the memory in {target} with {path}?", abort=True)
    with reported_errors():
        made = backups.restore(engine, path)
    console.print(f"restored [bold]{target}[/] from {made.path} (schema {made.schema})")
    if made.schema != migrate.head_revision():
        console.print("the backup's schema is older than this Warmline: run `warmline db upgrade`")
