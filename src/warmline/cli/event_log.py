"""``warmline rebuild``: the memory replayed from the raw event log."""

from __future__ import annotations

from rich.progress import BarColumn, Progress, TextColumn

from warmline.actions.rebuild import rebuild_projections
from warmline.cli.console import check_schema, console, engine_for, err
from warmline.config import Settings


def rebuild() -> None:
    """Rebuild every projection from the raw event log (same events, same memory)."""
    settings = Settings()
    engine = engine_for(settings)
    check_schema(engine)
    with Progress(
        TextColumn("replaying"), BarColumn(), TextColumn("{task.completed} events"), console=err
    ) as progress:
        task = progress.add_task("rebuild", total=None)
        count = rebuild_projections(
            engine,
            region=settings.default_region,
            insight=settings.insight,
            progress=lambda n: progress.advance(task, n),
        )
    console.print(f"rebuilt the memory from {count} events")
