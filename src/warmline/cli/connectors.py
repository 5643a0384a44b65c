"""``warmline connectors``: Chatwoot and Zendesk webhooks, their secrets shown once."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from warmline.actions.connectors import (
    KINDS,
    Connector,
    create_connector,
    list_connectors,
    list_gaps,
    revoke_connector,
    rotate_secret,
)
from warmline.cli.console import checked_engine, console, fail, reported_errors
from warmline.domain.access.roles import LOCAL_ADMIN

connectors_app = typer.Typer(
    help="Webhook connectors for Chatwoot and Zendesk (secrets stored hashed; shown once).",
    no_args_is_help=True,
)


def _show_secret(connector: Connector, secret: str) -> None:
    where = connector.to_json()["path"]
    console.print(
        f"{connector.kind} connector [bold]{connector.id}[/] for account {connector.account}"
    )
    if connector.kind == "chatwoot":
        console.print(f"webhook URL: https://<warmline>{where}?secret=<the secret below>")
    else:
        console.print(f"webhook URL: https://<warmline>{where}, authentication: bearer token")
    console.print("the secret is shown only now; store it somewhere safe:")
    print(secret)


@connectors_app.command("create")
def connectors_create(
    kind: Annotated[str, typer.Option(help=f"The other system: {' or '.join(KINDS)}.")],
    account: Annotated[
        str, typer.Option(help="Its account: Chatwoot's account id or the Zendesk subdomain.")
    ],
    name: Annotated[str | None, typer.Option(help="A name for people to know it by.")] = None,
    inbox: Annotated[
        list[str] | None,
        typer.Option(help="A Chatwoot inbox's channel, as ID=CHANNEL (e.g. 3=sms); repeatable."),
    ] = None,
) -> None:
    """Create a connector and print its webhook URL and secret once."""
    engine = checked_engine()
    channels = {}
    for item in inbox or []:
        inbox_id, sep, channel = item.partition("=")
        if not sep:
            fail(f"--inbox {item!r} is not ID=CHANNEL", "e.g. --inbox 3=sms")
        channels[inbox_id.strip()] = channel.strip()
    options = {"inbox_channels": channels} if channels else {}
    with reported_errors():
        connector, secret = create_connector(
            engine, LOCAL_ADMIN, kind=kind, account=account, name=name, options=options
        )
    _show_secret(connector, secret)


@connectors_app.command("rotate")
def connectors_rotate(
    connector_id: Annotated[
        str, typer.Argument(help="The connector's id, e.g. con_1a2b3c4d5e6f7a8b.")
    ],
) -> None:
    """Give a connector a new secret; the old one stops working now."""
    with reported_errors():
        connector, secret = rotate_secret(checked_engine(), LOCAL_ADMIN, connector_id)
    _show_secret(connector, secret)


@connectors_app.command("revoke")
def connectors_revoke(
    connector_id: Annotated[str, typer.Argument(help="The connector's id.")],
) -> None:
    """Refuse a connector's deliveries from now on; what it sent stays."""
    with reported_errors():
        revoke_connector(checked_engine(), LOCAL_ADMIN, connector_id)
    console.print(f"revoked {connector_id}")


@connectors_app.command("list")
def connectors_list() -> None:
    """List every connector: its id, kind, account, events' source and last delivery."""
    connectors = list_connectors(checked_engine())
    if not connectors:
        console.print("no connectors yet: `warmline connectors create --kind chatwoot --account 1`")
        return
    table = Table(
        "id", "kind", "account", "name", "source", "last delivery", "revoked", box=box.SIMPLE_HEAD
    )
    for c in connectors:
        table.add_row(
            c.id,
            c.kind,
            escape(c.account),
            escape(c.name),
            escape(c.source),
            f"{c.last_delivery_at:%Y-%m-%d %H:%M}" if c.last_delivery_at else "never",
            f"{c.revoked_at:%Y-%m-%d %H:%M}" if c.revoked_at else "no",
        )
    console.print(table)


@connectors_app.command("gaps")
def connectors_gaps(
    connector_id: Annotated[str, typer.Argument(help="The connector's id.")],
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 50,
) -> None:
    """What the connector's recent deliveries lacked, or why they were refused."""
    with reported_errors():
        gaps = list_gaps(checked_engine(), connector_id, limit=limit)
    if not gaps:
        console.print("no gaps: every delivery was used whole")
        return
    table = Table("received", "event", "event id", "where", "code", box=box.SIMPLE_HEAD)
    for g in gaps:
        table.add_row(
            g["received_at"][:19].replace("T", " "),
            escape(g["event"]),
            escape(g["event_id"] or "-"),
            escape(g["field"]),
            g["code"],
        )
    console.print(table)
