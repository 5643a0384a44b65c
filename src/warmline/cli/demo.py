"""``warmline demo`` and ``warmline simulate``: the demo bank, and live contacts played on it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.progress import BarColumn, Progress, TextColumn
from sqlalchemy.engine import Engine

from warmline.actions.keys import create_key, revoke_keys_named
from warmline.cli.console import console, engine_for, err, fail
from warmline.cli.serve import run_server
from warmline.config import Settings
from warmline.storage import migrate
from warmline.storage import schema as t


def demo(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    customers: Annotated[int, typer.Option(min=0, help="Customers in the demo bank.")] = 2500,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Prepare only; do not serve.")
    ] = False,
) -> None:
    """Prepare the embedded database with a demo bank, print a demo key and serve.

    The first run seeds a few thousand customers with years of history; later runs only
    replay today's stories of the cast (Miles, Priya, Elena, Bob) so the desk has fresh ones,
    unless they were played within the continuity window (the desk would show them twice).
    """
    from warmline.demo.world import cast_played_at

    settings = Settings()
    engine = engine_for(settings)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        empty = conn.execute(sa.select(t.customers.c.id).limit(1)).first() is None
    count = customers if empty else 0
    played = None if empty else cast_played_at(engine)
    since = None if played is None else dt.datetime.now(dt.UTC) - played
    if since is not None and since < dt.timedelta(minutes=settings.continuity_minutes):
        # Played again so soon, the cast's stories would sit twice in the continuity window
        # (Miles in chat 4 minutes ago, and 10 minutes ago, about the same card).
        console.print(
            f"demo bank: today's stories were played {since // dt.timedelta(minutes=1)} "
            "minutes ago, within the "
            f"{settings.continuity_minutes}-minute continuity window: not played again, "
            "so the desk does not show them twice"
        )
    else:
        _seed_demo(engine, settings, count, empty)
    revoke_keys_named(engine, "demo")
    _, key = create_key(engine, role="admin", name="demo")
    host, port = host or settings.host, port or settings.port
    console.print(f"database: {engine.url!r} (schema {migrate.current_revision(engine)})")
    console.print(f"demo key (admin, shown once): [bold]{key}[/]")
    console.print(f"agent desk: [bold]http://{host}:{port}/desk[/] (sign in with the key)")
    console.print("live contacts: in another terminal, `.venv/bin/warmline simulate`")
    if not no_serve:
        run_server(settings, engine, host, port)


def _seed_demo(engine: Engine, settings: Settings, count: int, empty: bool) -> None:
    """Seed the demo bank (``count`` generated customers, none once it is seeded) and the
    cast's stories as today's; on the first run, learn its contact reasons."""
    from warmline.demo.world import seed_world

    with Progress(
        TextColumn("seeding the demo bank"),
        BarColumn(),
        TextColumn("{task.completed} events"),
        console=err,
    ) as progress:
        task = progress.add_task("seed", total=None)
        totals = seed_world(
            engine,
            customers=count,
            region=settings.default_region,
            progress=lambda n: progress.advance(task, n),
        )
    console.print(
        f"demo bank: {totals['accepted']} new events"
        + ("" if empty else " (today's stories; the history was seeded before)")
    )
    if empty and count:
        from warmline.actions.insight_admin import train_reasons

        with console.status("learning the bank's contact reasons from its history"):
            trained = train_reasons(engine)
        console.print(f"contact reasons: {trained.report.lines()[0]}")


def simulate_command(
    url: Annotated[str, typer.Option(help="The running server.")] = "http://127.0.0.1:8000",
    key: Annotated[
        str | None,
        typer.Option(envvar="WARMLINE_KEY", help="A key that may post contacts and events."),
    ] = None,
    agent: Annotated[
        str, typer.Option(help="Desk to route contacts to (the agent key's name).")
    ] = "demo",
    contacts: Annotated[int, typer.Option(min=1, help="How many contacts to play.")] = 10,
    interval: Annotated[float, typer.Option(min=0, help="Seconds each contact lasts.")] = 6.0,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same sequence).")] = 1,
) -> None:
    """Play live contacts against a running server so the desk pops.

    Callers come from the local memory (WARMLINE_DATABASE_URL) when it is reachable;
    without --key a local integrator key named 'simulator' is created.
    """
    import random

    from warmline.demo.simulator import Api, pick_callers, simulate

    settings = Settings()
    engine = engine_for(settings)
    local = migrate.current_revision(engine) == migrate.head_revision()
    if key is None:
        if not local:
            fail("no key to talk to the server with", "pass --key or set WARMLINE_KEY")
        _, key = create_key(engine, role="integrator", name="simulator")
        console.print("created an integrator key named 'simulator' for this run")
    callers = pick_callers(engine if local else None, contacts, random.Random(seed))
    try:
        done = simulate(
            Api(url, key),
            agent=agent,
            callers=callers,
            contacts=contacts,
            interval=interval,
            seed=seed,
            say=lambda line: console.print(line, markup=False),
        )
    except (OSError, RuntimeError) as exc:
        fail(f"the server at {url} did not take the contact: {exc}", "is `warmline serve` running?")
    console.print(f"played {done} contacts")
