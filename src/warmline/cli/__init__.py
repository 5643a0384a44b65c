"""The ``warmline`` command line (Typer), one module per command group. Settings come from
``WARMLINE_*`` variables."""

from __future__ import annotations

import inspect
import re
import sys
from typing import Annotated

import typer

from warmline import __version__
from warmline.cli import backup, demo, event_log, imports, serve
from warmline.cli.audit import audit_app
from warmline.cli.branches import branches_app
from warmline.cli.connectors import connectors_app
from warmline.cli.console import report
from warmline.cli.db import db_app
from warmline.cli.forms import forms_app
from warmline.cli.identity import identity_app
from warmline.cli.insight import insight_app
from warmline.cli.keys import keys_app
from warmline.cli.knowledge import knowledge_app
from warmline.cli.metrics import metrics_app
from warmline.cli.promises import promises_app
from warmline.cli.reasons import reasons_app
from warmline.cli.retention import retention_app
from warmline.cli.risk import risk_app
from warmline.cli.webhooks import webhooks_app
from warmline.errors import WarmlineError

app = typer.Typer(
    help="Warmline: the customer memory for contact centres.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("simulate")(demo.simulate_command)
app.command("import")(imports.import_file)
app.command("rebuild")(event_log.rebuild)
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)
app.add_typer(retention_app, name="retention")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(connectors_app, name="connectors")
app.add_typer(identity_app, name="identity")
app.add_typer(reasons_app, name="reasons")
app.add_typer(insight_app, name="insight")
app.add_typer(knowledge_app, name="knowledge")
app.add_typer(branches_app, name="branches")
app.add_typer(metrics_app, name="metrics")
app.add_typer(promises_app, name="promises")
app.add_typer(risk_app, name="risk")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(forms_app, name="forms")


def _print_version(asked: bool) -> None:
    if asked:
        print(f"warmline {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the installed version and exit.",
        ),
    ] = False,
) -> None:
    pass


def whole_sentences(text: str) -> str:
    """A docstring as help: the lines of each paragraph joined. Typer's rich help keeps a
    paragraph's line breaks after the first, which cut sentences where the source wrapped."""
    paragraphs = []
    for paragraph in inspect.cleandoc(text).split("\n\n"):
        joined = ""
        for line in paragraph.splitlines():
            line = line.strip()
            # A word hyphenated at the end of a line ("expectation-" "maximisation") stays whole.
            gap = "" if not joined or re.search(r"[A-Za-z]-$", joined) else " "
            joined += gap + line
        paragraphs.append(joined)
    return "\n\n".join(paragraphs)


def _reflow_help(group: typer.Typer) -> None:
    for command in group.registered_commands:
        command.help = whole_sentences(command.help or inspect.getdoc(command.callback) or "")
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _reflow_help(sub.typer_instance)


_reflow_help(app)


def main() -> None:
    """Entry point of the ``warmline`` command."""
    try:
        app()
    except WarmlineError as exc:
        report(exc.message, exc.hint)
        sys.exit(2)
