"""``warmline branches``: branches, their services, service points and staff, from a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from warmline.cli.console import checked_engine, console, err, reported_errors

branches_app = typer.Typer(
    help="Branches: services, service points and staff (YAML).", no_args_is_help=True
)
FileArgument = Annotated[
    Path,
    typer.Argument(
        help="A YAML file with a list under 'branches:' (see the README's Branch section).",
        exists=True,
        dir_okay=False,
    ),
]


@branches_app.command("check")
def check_command(file: FileArgument) -> None:
    """Check a branches file without loading it: every problem with where it is and the fix.
    Exits 1 when there is one."""
    from warmline.actions.branch_setup import read_branches_file
    from warmline.domain.branch.setup import SetupError

    try:
        branches = read_branches_file(file)
    except SetupError as exc:
        for where, what in exc.problems:
            # File contents are quoted in problems: print them as text, never as markup.
            err.print(f"{where}: {what}", markup=False)
        raise typer.Exit(1) from None
    for branch in branches:
        points = ", ".join(p.name for p in branch.service_points)
        console.print(
            f"{branch.code}: {branch.name}, {len(branch.services)} services, {points}",
            markup=False,
        )


@branches_app.command("load")
def load_command(file: FileArgument) -> None:
    """Check a branches file whole, then store its branches (none if any is wrong); says what
    was added, changed and unchanged. ``WARMLINE_BRANCHES_FILE`` loads one at every start."""
    from warmline.actions.branch_setup import load_branches_file

    engine = checked_engine()
    with reported_errors():
        report = load_branches_file(engine, file)
    table = Table("added", "changed", "unchanged")
    table.add_row(
        *(", ".join(codes) or "-" for codes in (report.added, report.changed, report.unchanged))
    )
    console.print(table)
