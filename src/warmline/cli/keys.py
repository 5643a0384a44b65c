"""``warmline keys``: API keys, stored hashed and shown once."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from warmline.actions.keys import USE_RECORDED_EVERY, KeyInfo, create_key, list_keys, revoke_key
from warmline.cli.console import check_schema, checked_engine, console, engine_for, reported_errors
from warmline.config import Settings
from warmline.domain.access.roles import Role

keys_app = typer.Typer(help="API keys (stored hashed; shown once).", no_args_is_help=True)


@keys_app.command("create")
def keys_create(
    role: Annotated[
        Role,
        typer.Option(
            help="What the key may do: agent, supervisor, integrator, admin or auditor.",
            case_sensitive=False,
            metavar="ROLE",
        ),
    ],
    name: Annotated[
        str, typer.Option(help="Who holds it. For agents: the agent id contacts are routed to.")
    ],
    expires_in_days: Annotated[
        int | None,
        typer.Option(min=1, metavar="DAYS", help="Let the key expire after this many days."),
    ] = None,
    may_verify: Annotated[
        bool | None,
        typer.Option(
            "--may-verify/--may-not-verify",
            help="Whether events sent with the key may claim identifiers were verified "
            "(default: only admin keys may).",
        ),
    ] = None,
) -> None:
    """Create an API key and print it once. Agents read customers; integrators post events."""
    settings = Settings()
    engine = engine_for(settings)
    check_schema(engine)
    expires_at = (
        dt.datetime.now(dt.UTC) + dt.timedelta(days=expires_in_days) if expires_in_days else None
    )
    actor, key = create_key(
        engine, role=role.value, name=name, expires_at=expires_at, may_verify=may_verify
    )
    verifies = "may" if actor.may_verify else "may not"
    console.print(
        f"created {actor.role.value} key [bold]{actor.key_id}[/] for {actor.name} "
        f"({verifies} claim verified identifiers)"
    )
    console.print("the key is shown only now; store it somewhere safe:")
    print(key)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id, e.g. key_1a2b3c4d5e6f7a8b.")],
) -> None:
    """Revoke a key: requests with it fail from now on."""
    engine = engine_for(Settings())
    with reported_errors():
        revoke_key(engine, key_id)
    console.print(f"revoked {key_id}")


@keys_app.command("list")
def keys_list() -> None:
    """List every key: its id, name and role, when it was created, last used and expires, and
    whether it was revoked. Never the key itself: only its hash is stored."""
    engine = checked_engine()
    keys = list_keys(engine)
    if not keys:
        console.print("no keys yet: create one with `warmline keys create --role admin --name …`")
        return
    now = dt.datetime.now(dt.UTC)
    every = int(USE_RECORDED_EVERY.total_seconds())
    table = Table(
        *("id", "name", "role", "created", "last used", "expires", "revoked"),
        box=box.SIMPLE_HEAD,
        caption=f"times in UTC; last used: by an API request or on the desk, recorded at most "
        f"every {every} s",
    )
    for column in table.columns:
        column.no_wrap = True
    for key in keys:
        table.add_row(
            key.key_id,
            escape(key.name),
            key.role.value,
            _when(key.created_at),
            _when(key.last_used_at) or "never",
            _expiry(key, now),
            _when(key.revoked_at) or "no",
        )
    # One key a line, whatever the terminal's width: nothing cut off, easy to grep.
    width = Measurement.get(console, console.options.update_width(10_000), table).maximum
    Console(width=max(console.width, width)).print(table)


def _when(at: dt.datetime | None) -> str:
    return "" if at is None else f"{at:%Y-%m-%d %H:%M}"


def _expiry(key: KeyInfo, now: dt.datetime) -> str:
    if key.expires_at is None:
        return "never"
    return _when(key.expires_at) + (" (expired)" if key.expires_at <= now else "")
