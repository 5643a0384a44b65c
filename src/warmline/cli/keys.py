"""``warmline keys``: API keys, stored hashed and shown once."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from warmline.actions.keys import create_key, revoke_key
from warmline.cli.console import check_schema, console, engine_for, reported_errors
from warmline.config import Settings
from warmline.domain.access.roles import Role

keys_app = typer.Typer(help="API keys (stored hashed; shown once).", no_args_is_help=True)


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="What the key may do.", case_sensitive=False)],
    name: Annotated[
        str, typer.Option(help="Who holds it. For agents: the agent id contacts are routed to.")
    ],
    expires_in_days: Annotated[
        int | None, typer.Option(min=1, help="Let the key expire after this many days.")
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
