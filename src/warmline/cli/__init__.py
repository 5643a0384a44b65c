"""The ``warmline`` command line (Typer), one module per command group. Settings come from
``WARMLINE_*`` variables."""

from __future__ import annotations

import sys

import typer

from warmline.cli import demo, event_log, serve
from warmline.cli.audit import audit_app
from warmline.cli.console import report
from warmline.cli.db import db_app
from warmline.cli.identity import identity_app
from warmline.cli.keys import keys_app
from warmline.cli.reasons import reasons_app
from warmline.cli.retention import retention_app
from warmline.errors import WarmlineError

app = typer.Typer(
    help="Warmline: the customer memory for contact centres.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("simulate")(demo.simulate_command)
app.command("import")(event_log.import_events)
app.command("rebuild")(event_log.rebuild)
app.add_typer(retention_app, name="retention")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(identity_app, name="identity")
app.add_typer(reasons_app, name="reasons")


def main() -> None:
    """Entry point of the ``warmline`` command."""
    try:
        app()
    except WarmlineError as exc:
        report(exc.message, exc.hint)
        sys.exit(2)
