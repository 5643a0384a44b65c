"""``warmline promises``: checking the service-promises file."""

from __future__ import annotations

import typer
from rich.table import Table

from warmline.cli.console import console, fail, reported_errors
from warmline.config import Settings

promises_app = typer.Typer(help="Service promises (WARMLINE_PROMISES_FILE).", no_args_is_help=True)


@promises_app.command("check")
def promises_check() -> None:
    """Read the promises file and list its promises; a mistake is named by file, field and
    fix (exit 2)."""
    from warmline.serving.promises import load_promises

    settings = Settings()
    if not settings.promises_file:
        fail("no promises file is configured", "set WARMLINE_PROMISES_FILE to a YAML file")
    with reported_errors():
        config = load_promises(settings.promises_file)
    table = Table("promise", "measure", "channel", "within", "matching")
    for p in config.promises:
        table.add_row(
            p.name,
            p.measure,
            p.channel or "any",
            p.within.words(),
            p.match.pattern if p.match else "",
        )
    console.print(table, markup=False)
