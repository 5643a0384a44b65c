"""``warmline retention``: removing data past its retention period."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from warmline.cli.console import check_schema, console, engine_for
from warmline.config import Settings

retention_app = typer.Typer(help="Retention of data past its time.", no_args_is_help=True)


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, remove nothing.")] = False,
) -> None:
    """Remove each kind of data older than its period in WARMLINE_RETENTION_DAYS."""
    from warmline.actions.retention import run_retention

    settings = Settings()
    engine = engine_for(settings)
    check_schema(engine)
    removed = run_retention(engine, settings.retention_days, dry_run=dry_run)
    table = Table("kind", "days", "would remove" if dry_run else "removed")
    for name, count in removed.items():
        table.add_row(name, str(settings.retention_days.get(name.split(".")[0], "")), str(count))
    console.print(table)
