"""``warmline reasons``: the contact-reason model and what history teaches about reasons."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from warmline.cli.console import checked_engine, console, reported_errors
from warmline.models import reason_model
from warmline.storage.insight_config import DEFAULT_ID, InsightConfig, load_insight

reasons_app = typer.Typer(
    help="Contact reasons: train from your own labelled contacts, show what is in force.",
    no_args_is_help=True,
)


def show_config(config: InsightConfig) -> None:
    if config.model_id == DEFAULT_ID:
        console.print(
            "reason model: [bold]the shipped banking model[/] (Banking77's 77 intents; a "
            "fine-tuned MiniLM gives a second opinion on the messages it is least sure of; "
            "train your own with `warmline reasons train`)"
        )
        return
    assert config.trained_at is not None
    report = config.report
    console.print(
        f"reason model: [bold]{config.model_id}[/], trained {config.trained_at:%Y-%m-%d %H:%M} UTC "
        f"on {report.get('examples', 0):,} contacts; held-out accuracy "
        f"{report.get('held_out_accuracy', 0):.1%} (linear alone: a second opinion knows the "
        "shipped reasons only)"
    )
    table = Table("signal", "followed by a contact about", "times", "lift")
    for key, reason, count, lift in config.associations.strongest(limit=12):
        table.add_row(key, reason.replace("_", " "), str(count), f"{lift:.1f}x")
    console.print(table)
    if config.population:
        console.print(
            f"usual writing: {config.population.words_per_message:.0f} words a message "
            f"(median of {config.population.customers:,} customers)"
        )


@reasons_app.command("train")
def train_command(
    seed: Annotated[int, typer.Option(help="Seed for the held-out split.")] = 0,
) -> None:
    """Learn contact reasons from this memory's labelled contacts (the `reason` of
    interaction.ended): the classifier for the customer's first words, reports its held-out
    accuracy, the activity -> reason associations, and the usual writing style."""
    from warmline.actions.insight_admin import train_reasons

    engine = checked_engine()
    with reported_errors(), console.status("training (about a minute for 10,000 contacts)"):
        trained = train_reasons(engine, seed=seed)
    for line in trained.report.lines():
        console.print(line)
    with engine.connect() as conn:
        show_config(load_insight(conn))
    console.print(f"stored as [bold]{trained.model_id}[/], in force from now on")


@reasons_app.command("show")
def show_command() -> None:
    """Show the reason model in force and the strongest learned associations."""
    engine = checked_engine()
    with reported_errors(), engine.connect() as conn:
        config = load_insight(conn)
        reason_model(config.model_id, config.reason_model)  # a broken install is said here
        show_config(config)
