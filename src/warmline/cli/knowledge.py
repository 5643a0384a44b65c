"""``warmline knowledge``: articles imported from a folder of Markdown files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from warmline.cli.console import checked_engine, console, err, reported_errors

knowledge_app = typer.Typer(help="Knowledge articles for agents.", no_args_is_help=True)


@knowledge_app.command("import")
def import_command(
    folder: Annotated[
        Path,
        typer.Argument(
            help="A folder of Markdown files with front matter (title, products, channels, "
            "owner, review_date, audience).",
            exists=True,
            file_okay=False,
        ),
    ],
) -> None:
    """Import every .md file in the folder. Running it again changes only what changed,
    and says what was added, changed and unchanged. Exits 1 if a file had problems."""
    from warmline.actions.knowledge import import_folder

    engine = checked_engine()
    with reported_errors(), console.status("importing articles"):
        report = import_folder(engine, folder)
    table = Table("added", "changed", "unchanged", "with problems")
    files_with_problems = len({where for where, _, _ in report.errors})
    table.add_row(
        str(len(report.added)),
        str(len(report.changed)),
        str(len(report.unchanged)),
        str(files_with_problems),
    )
    console.print(table)
    for where, field, what in report.errors:
        # File contents are quoted in problems: print them as text, never as markup.
        err.print(f"{where}: {field}: {what}", markup=False)
    if report.errors:
        raise typer.Exit(1)
