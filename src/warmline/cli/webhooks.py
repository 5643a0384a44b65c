"""``warmline webhooks``: the outbox's deliveries (the server sends them by itself)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from warmline.cli.console import checked_engine, console, fail, reported_errors
from warmline.config import Settings

webhooks_app = typer.Typer(help="Webhooks out of the outbox.", no_args_is_help=True)


@webhooks_app.command("deliver")
def webhooks_deliver() -> None:
    """Send the events due now to WARMLINE_WEBHOOK_URL once (the server does this every few
    seconds while it runs)."""
    from warmline.actions.webhooks import deliver_due

    settings = Settings()
    if not settings.webhook_url or not settings.webhook_secret:
        fail(
            "no webhook endpoint is configured",
            "set WARMLINE_WEBHOOK_URL and WARMLINE_WEBHOOK_SECRET",
        )
    with reported_errors():
        done = deliver_due(
            checked_engine(),
            url=settings.webhook_url,
            secret=settings.webhook_secret.get_secret_value(),
            timeout=settings.webhook_timeout_seconds,
        )
    console.print(
        f"delivered {len(done.delivered)}, to retry {len(done.retrying)}, dead {len(done.dead)}"
    )


@webhooks_app.command("list")
def webhooks_list() -> None:
    """Events in the outbox by status, and the latest dead ones with their last error."""
    from warmline.actions.webhooks import outbox_summary

    summary = outbox_summary(checked_engine())
    console.print(
        ", ".join(f"{k}: {v}" for k, v in sorted(summary["counts"].items()))
        or "the outbox is empty"
    )
    if summary["dead"]:
        table = Table("message id", "type", "attempts", "last error", "created")
        for d in summary["dead"]:
            table.add_row(
                d["message_id"],
                d["event_type"],
                str(d["attempts"]),
                d["last_error"] or "",
                f"{d['created_at']:%Y-%m-%d %H:%M}",
            )
        console.print(table, markup=False)


@webhooks_app.command("retry")
def webhooks_retry(
    message_id: Annotated[str, typer.Argument(help="A dead event's message id (webhooks list).")],
) -> None:
    """Put a dead event back in line for delivery."""
    from warmline.actions.webhooks import retry_dead

    with reported_errors():
        retry_dead(checked_engine(), message_id)
    console.print(f"{message_id} will be sent again")
