"""``warmline identity``: the match model, its thresholds, and batch dedupe."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from warmline.cli.console import checked_engine, console, reported_errors
from warmline.domain.identity.matching import MatchModel, Thresholds
from warmline.storage.identity_config import MatchingConfig, load_matching

identity_app = typer.Typer(
    help="Identity resolution: the match model, thresholds, batch dedupe.", no_args_is_help=True
)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def show_model(config: MatchingConfig) -> None:
    """Print the model in force: where it comes from, its thresholds, and its weights."""
    model: MatchModel = config.model
    if config.model_id == "default" or model.trained_at is None:
        origin = "the shipped default (not trained on this memory)"
    else:
        origin = f"trained {model.trained_at:%Y-%m-%d %H:%M} UTC on {model.records:,} records"
        origin += f" ({model.pairs:,} pairs compared)"
    console.print(f"match model: [bold]{origin}[/]")
    console.print(
        f"thresholds: link at match probability >= [bold]{config.thresholds.link}[/], "
        f"suggest for review at >= [bold]{config.thresholds.review}[/]"
    )
    console.print(f"prior (two random records are one person): {model.prior:.2e}")
    table = Table("field", "level", "m", "u", "weight (bits)")
    for field_model in model.fields:
        for level in field_model.levels:
            table.add_row(
                field_model.name.replace("_", " "),
                level.name,
                f"{level.m:.4f}",
                f"{level.u:.2e}",
                f"{level.weight:+.2f}",
            )
    console.print(table)


@identity_app.command("show")
def show() -> None:
    """Show the match model in force, its thresholds and its m/u weights."""
    engine = checked_engine()
    with engine.connect() as conn:
        show_model(load_matching(conn))


@identity_app.command("train")
def train_command(
    seed: Annotated[
        int, typer.Option(help="Seed for the random pairs (same data, same model).")
    ] = 0,
    max_pairs: Annotated[
        int, typer.Option(min=1000, help="Most pairs compared (sampled above this).")
    ] = 1_000_000,
    force: Annotated[
        bool, typer.Option("--force", help="Put it in force even if the check finds it worse.")
    ] = False,
) -> None:
    """Learn the match model from this memory's own records, without labels (expectation-
    maximisation; u from random pairs), check it against the model in force on pairs whose
    truth is known (refused, with the figures, if its links are less precise or its queue
    longer), store it with its date and data size, and show it."""
    from warmline.actions.identity_admin import train_model

    engine = checked_engine()
    with reported_errors(), _progress() as progress:
        task = progress.add_task("comparing pairs", total=None)
        trained = train_model(
            engine,
            seed=seed,
            max_pairs=max_pairs,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
            force=force,
        )
    with engine.connect() as conn:
        show_model(load_matching(conn))
    for name, figures in trained["checked"].items():
        console.print(f"check pairs, model {name}: {figures.describe()}", highlight=False)
    console.print(f"stored as [bold]{trained['id']}[/], in force from now on")


@identity_app.command("thresholds")
def thresholds_command(
    link: Annotated[float, typer.Option(help="Match probability at or above which to link.")],
    review: Annotated[
        float, typer.Option(help="Match probability at or above which to suggest a merge.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show what the thresholds would change.")
    ] = False,
) -> None:
    """Set the link and review thresholds; first shows how this memory's candidate pairs
    split into link / review / new under the thresholds in force and the new ones."""
    from warmline.actions.identity_admin import set_thresholds, threshold_effect

    engine = checked_engine()
    try:
        proposed = Thresholds(link=link, review=review)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    with _progress() as progress:
        task = progress.add_task("scoring candidate pairs", total=None)
        effect = threshold_effect(
            engine, proposed, lambda done: progress.update(task, completed=done)
        )
    table = Table("candidate pairs", "in force", "proposed")
    for band in ("link", "review", "new"):
        table.add_row(band, str(effect["in force"][band]), str(effect["proposed"][band]))
    console.print(table)
    if dry_run:
        console.print("dry run: nothing changed")
        return
    with reported_errors():
        set_thresholds(engine, link=link, review=review)
    console.print(f"thresholds in force: link >= {link}, review >= {review}")


@identity_app.command("dedupe")
def dedupe_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be merged or suggested.")
    ] = False,
) -> None:
    """Find duplicates among existing customers (after an import) with the same scoring as
    ingest: merge pairs above the link threshold (undoable), suggest those between."""
    from warmline.actions.identity_admin import dedupe

    engine = checked_engine()
    with reported_errors(), _progress() as progress:
        task = progress.add_task("records", total=None)
        report = dedupe(
            engine,
            apply=not dry_run,
            progress=lambda done: progress.update(task, completed=done),
        )
    verb = "would be" if dry_run else "were"
    console.print(
        f"{report.pairs} candidate pairs: {report.merged} {verb} merged, "
        f"{report.suggested} {verb} suggested for review"
    )
    if report.held_as_relatives:
        console.print(
            f"  left alone {report.held_as_relatives}: would link, but another record of one "
            "of the customers says they are two people (relatives)"
        )
    for reason, count in sorted(report.skipped.items()):
        console.print(f"  skipped {count}: {reason}")
    if report.merged and not dry_run:
        console.print("every merge can be undone: POST /v1/merges/{id}/undo")
