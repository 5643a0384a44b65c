"""``warmline metrics``: recomputing the rollups from the memory, and checking them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn

from warmline.cli.console import checked_engine, console, err, fail, reported_errors

metrics_app = typer.Typer(help="The metrics' rollups.", no_args_is_help=True)


@metrics_app.command("rebuild")
def metrics_rebuild(
    window_days: Annotated[
        int | None,
        typer.Option(
            min=1, max=90, help="A new repeat window in days (kept for ingest from then on)."
        ),
    ] = None,
) -> None:
    """Recompute every contribution and rollup from the memory, in one transaction."""
    from warmline.actions.metrics.rebuild import rebuild_metrics

    engine = checked_engine()
    with (
        reported_errors(),
        Progress(
            TextColumn("recomputing"),
            BarColumn(),
            TextColumn("{task.completed} customers"),
            console=err,
        ) as progress,
    ):
        task = progress.add_task("rebuild", total=None)
        count = rebuild_metrics(
            engine, window_days=window_days, progress=lambda n: progress.advance(task, n)
        )
    console.print(f"recomputed {count} contributions")


@metrics_app.command("check")
def metrics_check() -> None:
    """Recompute the rollups inside a transaction that is rolled back, and say whether
    they agree with the ones kept at ingest (exit 1 if not)."""
    from warmline.actions.derived import bring_up_to_date
    from warmline.actions.metrics.rebuild import rollups_agree

    engine = checked_engine()
    bring_up_to_date(engine)  # what contacts started just before changed counts first
    if not rollups_agree(engine):
        fail("the rollups differ from a rebuild", "run `warmline metrics rebuild`", code=1)
    console.print("the rollups agree with a rebuild")
