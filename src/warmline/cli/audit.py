"""``warmline audit``: checking the audit log."""

from __future__ import annotations

import typer

from warmline.cli.console import check_schema, console, engine_for, fail
from warmline.config import Settings

audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain end to end; exit 1 at the first broken entry."""
    from warmline.actions.audit import verify_chain

    engine = engine_for(Settings())
    check_schema(engine)
    checked, broken = verify_chain(engine)
    if broken is not None:
        fail(
            f"the audit log's chain breaks at entry {broken} (after {checked} good entries): "
            "it was changed, or an entry was inserted or deleted",
            "restore the log from a backup and investigate who had write access",
            code=1,
        )
    console.print(f"audit log intact: {checked} entries, hash chain verified")
