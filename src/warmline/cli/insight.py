"""``warmline insight``: the refined reading of customer messages after ingest."""

from __future__ import annotations

import sqlalchemy as sa
import typer

from warmline.cli.console import checked_engine, console, reported_errors
from warmline.storage import schema as t

insight_app = typer.Typer(
    help="Feelings: the refined reading of messages the fast one was unsure of.",
    no_args_is_help=True,
)


@insight_app.command("refine")
def refine_command() -> None:
    """Read again, with the feelings encoder, every customer message whose fast reading was
    unsure and is still due (``warmline serve`` does this in the background); safe to
    stop and run again."""
    from warmline.actions.insight_refine import refine_due
    from warmline.models.feelings_encoder import feelings_encoder_installed

    engine = checked_engine()
    if not feelings_encoder_installed():
        console.print(
            "[red]no feelings encoder is installed[/]: reinstall Warmline with its models "
            "(pip install --force-reinstall warmline)"
        )
        raise typer.Exit(2)
    with engine.connect() as conn:
        due = conn.execute(
            sa.select(sa.func.count()).where(t.messages.c.refine_due.is_(True))
        ).scalar_one()
    done = 0
    with reported_errors(), console.status(f"refining {due:,} messages") as status:
        while True:
            batch = refine_due(engine)
            if batch.messages == 0:
                break
            done += batch.messages
            status.update(f"refined {done:,} of {due:,} messages")
    console.print(f"refined {done:,} message{'' if done == 1 else 's'}; none is due")
