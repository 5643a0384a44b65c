"""What every command-line module shares: the consoles, the engine, and how to fail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from warmline.config import Settings
from warmline.errors import WarmlineError
from warmline.models.reason_encoder import EncoderMissing
from warmline.storage import migrate
from warmline.storage.engine import make_engine

console = Console()
err = Console(stderr=True)


def engine_for(settings: Settings) -> Any:
    return make_engine(
        settings.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_max_overflow,
        pool_timeout=settings.pool_timeout_seconds,
        connect_timeout=settings.database_connect_timeout_seconds,
    )


def report(message: str, hint: str = "") -> None:
    err.print(f"[bold red]error:[/] {escape(message)}")
    if hint:
        err.print(f"[dim]hint:[/] {escape(hint)}")


def fail(message: str, hint: str = "", code: int = 2) -> NoReturn:
    report(message, hint)
    raise typer.Exit(code)


def check_schema(engine: Any) -> None:
    current, head = migrate.current_revision(engine), migrate.head_revision()
    if current != head:
        fail(
            f"the database schema is at {current or 'nothing'}, Warmline needs {head}",
            "run `warmline db upgrade` first",
        )


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn a deliberate error into its message and hint on stderr, and exit code 2."""
    try:
        yield
    except WarmlineError as exc:
        fail(exc.message, exc.hint)
    except EncoderMissing as exc:  # an installation fault, not a request's
        fail(exc.args[0], exc.hint)


def checked_engine() -> Any:
    """The configured database, refusing to go on if its schema is behind."""
    engine = engine_for(Settings())
    check_schema(engine)
    return engine
