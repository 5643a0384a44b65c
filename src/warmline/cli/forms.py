"""``warmline forms``: check the form definitions and moment rules before serving them."""

from __future__ import annotations

import datetime as dt
from typing import NoReturn

import typer
from rich.table import Table

from warmline.cli.console import console, err
from warmline.config import Settings

forms_app = typer.Typer(help="Pre-filled forms and moment rules.", no_args_is_help=True)


def config_problem(exc: object) -> NoReturn:
    """Every problem of a configuration file on stderr, then exit 2."""
    from warmline.serving.profile_config import ConfigFileError

    assert isinstance(exc, ConfigFileError)
    err.print(f"[bold red]error:[/] {exc.file} cannot be used:")
    for where, what in exc.problems:
        err.print(f"  {where}: {what}")
    raise typer.Exit(2)


@forms_app.command("check")
def check() -> None:
    """Read WARMLINE_FORMS_DIR and WARMLINE_MOMENTS_FILE as the server would, and list what
    they hold; exit 2 naming each problem (file, where, what to do)."""
    from warmline.serving.profile_config import ConfigFileError, load_profile_config

    settings = Settings()
    try:
        config = load_profile_config(
            settings.forms_dir, settings.moments_file, dt.datetime.now(dt.UTC).date()
        )
    except ConfigFileError as exc:
        config_problem(exc)
    table = Table("form", "title", "fields", "stale after (days)", "reasons")
    for form in config.forms.values():
        ages = sorted({f.max_age_days for f in form.fields})
        span = f"{ages[0]}-{ages[-1]}" if len(ages) > 1 else str(ages[0])
        table.add_row(
            form.id, form.title, str(len(form.fields)), span, ", ".join(sorted(form.reasons))
        )
    console.print(
        table if config.forms else "no forms (set WARMLINE_FORMS_DIR to a folder of form files)"
    )
    rules = config.moments.rules if config.moments else ()
    console.print(f"{len(rules)} moment rules: " + ", ".join(r.id for r in rules))
