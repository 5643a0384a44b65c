"""``warmline webhooks``: subscriptions, deliveries and dead letters (the server delivers by
itself while it runs)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from warmline.cli.console import checked_engine, console, reported_errors
from warmline.config import Settings
from warmline.domain.access.roles import LOCAL_ADMIN
from warmline.domain.webhooks import EVENT_TYPES

webhooks_app = typer.Typer(
    help="Webhooks out: subscriptions (secrets shown once), deliveries, dead letters.",
    no_args_is_help=True,
)


@webhooks_app.command("deliver")
def webhooks_deliver() -> None:
    """Fan out new events and send the deliveries due now, once (the server does this every
    few seconds while it runs)."""
    from warmline.actions.webhooks import WebhookConfig, deliver_due

    with reported_errors():
        done = deliver_due(checked_engine(), WebhookConfig.from_settings(Settings()))
    console.print(
        f"events routed {done.routed}; delivered {len(done.delivered)}, "
        f"to retry {len(done.retrying)}, dead {len(done.dead)}"
    )


@webhooks_app.command("list")
def webhooks_list(
    subscription: Annotated[
        str | None, typer.Option(help="Only this subscription's dead letters.")
    ] = None,
) -> None:
    """Deliveries by status, and the latest dead letters with their last error."""
    from warmline.actions.webhooks import dead_letters, outbox_summary

    engine = checked_engine()
    summary = outbox_summary(engine)
    console.print(
        ", ".join(f"{k}: {v}" for k, v in sorted(summary["counts"].items()) if v) or "no deliveries"
    )
    dead = dead_letters(engine, subscription_id=subscription, limit=50)
    if dead:
        table = Table("id", "subscription", "message id", "type", "attempts", "last error")
        for d in dead:
            table.add_row(
                str(d["id"]),
                d["subscription_id"],
                d["message_id"],
                d["event_type"],
                str(d["attempts"]),
                d["last_error"] or "",
            )
        console.print(table, markup=False)


@webhooks_app.command("replay")
def webhooks_replay(
    ids: Annotated[
        list[int] | None, typer.Argument(help="Dead letters' ids (webhooks list).")
    ] = None,
    subscription: Annotated[
        str | None, typer.Option(help="Every dead letter of this subscription.")
    ] = None,
) -> None:
    """Put dead letters back in line for delivery."""
    from warmline.actions.webhooks import replay_dead

    with reported_errors():
        count = replay_dead(checked_engine(), LOCAL_ADMIN, ids=ids, subscription_id=subscription)
    console.print(f"{count} dead letter(s) will be sent again")


@webhooks_app.command("subscriptions")
def webhooks_subscriptions() -> None:
    """Every subscription (WARMLINE_WEBHOOK_URL's as 'configured'); never a secret."""
    from warmline.actions.webhook_subscriptions import list_subscriptions

    found = list_subscriptions(checked_engine(), Settings().webhook_url)
    if not found:
        console.print("no subscriptions")
        return
    table = Table("id", "url", "event types", "enabled", "description")
    for s in found:
        table.add_row(
            s["id"],
            s["url"],
            " ".join(s["event_types"]),
            "yes" if s["enabled"] else "no",
            s["description"] or "",
        )
    console.print(table, markup=False)


def _show_secret(subscription_id: str, secret: str) -> None:
    console.print(f"subscription [bold]{subscription_id}[/]")
    console.print("its signing secret is shown only now; give it to the receiver:")
    print(secret)


@webhooks_app.command("subscribe")
def webhooks_subscribe(
    url: Annotated[str, typer.Argument(help="The receiver's URL (http or https).")],
    event: Annotated[
        list[str],
        typer.Option(help=f"An event type (repeatable), or '*': {', '.join(EVENT_TYPES)}."),
    ],
    description: Annotated[str | None, typer.Option(help="What the receiver is.")] = None,
) -> None:
    """Subscribe a receiver to event types; print its signing secret once."""
    from warmline.actions.webhook_subscriptions import create_subscription
    from warmline.actions.webhooks import allowed_networks

    settings = Settings()
    with reported_errors():
        made, secret = create_subscription(
            checked_engine(),
            LOCAL_ADMIN,
            url=url,
            event_types=event,
            description=description,
            link_secret=settings.link_secret,
            allowed=allowed_networks(settings),
        )
    _show_secret(made["id"], secret)


@webhooks_app.command("rotate")
def webhooks_rotate(
    subscription_id: Annotated[str, typer.Argument(help="The subscription's id.")],
) -> None:
    """A new signing secret for a subscription (the old one signs nothing from now on)."""
    from warmline.actions.webhook_subscriptions import rotate_subscription_secret

    with reported_errors():
        made, secret = rotate_subscription_secret(
            checked_engine(), LOCAL_ADMIN, subscription_id, link_secret=Settings().link_secret
        )
    _show_secret(made["id"], secret)


@webhooks_app.command("unsubscribe")
def webhooks_unsubscribe(
    subscription_id: Annotated[str, typer.Argument(help="The subscription's id.")],
) -> None:
    """Delete a subscription, with the deliveries it has not had."""
    from warmline.actions.webhook_subscriptions import delete_subscription

    with reported_errors():
        done = delete_subscription(checked_engine(), LOCAL_ADMIN, subscription_id)
    console.print(
        f"{subscription_id} deleted; {done['deliveries_dropped']} undelivered event(s) dropped"
    )
