"""``warmline demo`` and ``warmline simulate``: the demo bank, and live contacts played on it."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn
from sqlalchemy.engine import Engine

from warmline.actions.keys import create_key, list_keys, revoke_keys_named
from warmline.cli.console import console, engine_for, err, fail
from warmline.cli.serve import check_port_free, run_server
from warmline.config import Settings
from warmline.demo.simulator import ServerRefused
from warmline.domain.access.roles import Permission, allows
from warmline.storage import migrate
from warmline.storage import schema as t


def demo(
    host: Annotated[str | None, typer.Option(help="Address to listen on [WARMLINE_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [WARMLINE_PORT].")] = None,
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

    settings = demo_settings(Settings())
    host, port = host or settings.host, port or settings.port
    if not no_serve:  # a busy port is said before a minute of seeding, not after
        check_port_free(host, port)
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
    from warmline.demo.branches import seed_branches

    branches = seed_branches(engine)
    console.print(
        "branches: "
        + ", ".join(branches.added + branches.changed + branches.unchanged)
        + " (kiosk, screen and counters for the demo key)"
    )
    revoke_keys_named(engine, "demo")
    _, key = create_key(engine, role="admin", name="demo")
    console.print(f"database: {engine.url!r} (schema {migrate.current_revision(engine)})")
    console.print(f"demo key (admin, shown once): [bold]{key}[/]")
    console.print(f"agent desk: [bold]http://{host}:{port}/desk[/] (sign in with the key)")
    console.print("live contacts: in another terminal, `.venv/bin/warmline simulate`")
    console.print(
        f"branch floor: [bold]http://{host}:{port}/branch[/] (kiosk and screen; sign in with "
        "the key; texted codes appear in this terminal)"
    )
    if not no_serve:
        run_server(settings, engine, host, port)


def demo_settings(settings: Settings) -> Settings:
    """The demo's forms (a loan application and a change of address) unless you chose your
    own, a link secret for this run unless you set one, and logs as plain text for a person
    at a terminal unless you chose a format."""
    from pydantic import SecretStr

    from warmline.demo.world import FORMS_DIR

    changes: dict[str, object] = {}
    if not settings.forms_dir:
        changes["forms_dir"] = str(FORMS_DIR)
    if settings.link_secret is None:
        changes["link_secret"] = SecretStr(secrets.token_urlsafe(48))
    if "log_format" not in settings.model_fields_set:
        changes["log_format"] = "text"
    return settings.model_copy(update=changes)


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
        console.print(
            f"contact reasons: {trained.report.lines()[0]} (the demo's customers word each "
            "reason from a few templates, so held-out messages look like the training ones: "
            "this shows the training ran, not how well it will read real customers; "
            "`warmline reasons train` on your own labelled contacts tells that)"
        )
    from warmline.actions.knowledge import import_folder
    from warmline.demo.world import FAQ

    faq = import_folder(engine, FAQ)
    console.print(
        f"knowledge: {len(faq.added)} articles added, {len(faq.changed)} changed, "
        f"{len(faq.unchanged)} unchanged (the demo bank's FAQ)"
    )


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

    Callers come from the local memory (WARMLINE_DATABASE_URL) when it is reachable. Without
    --key, the simulator uses an integrator key of its own named 'simulator': made once, kept
    (readable by you alone) under ~/.local/state/warmline, and made again only when the
    database no longer accepts it.
    """
    import random

    from warmline.demo.simulator import Api, pick_callers, simulate
    from warmline.demo.simulator_key import simulator_key

    settings = Settings()
    engine = engine_for(settings)
    local = migrate.current_revision(engine) == migrate.head_revision()
    own_key = key is None
    if key is None:
        if not local:
            fail("no key to talk to the server with", "pass --key or set WARMLINE_KEY")
        kept = simulator_key(engine)
        key = kept.key
        # Whole lines (soft wrap), so the file's path is never folded where it could be copied.
        if not kept.created:
            console.print(
                f"using the simulator's integrator key kept in {kept.kept_in}",
                markup=False,
                soft_wrap=True,
            )
        elif kept.kept_in is not None:
            console.print(
                f"made an integrator key named 'simulator', kept in {kept.kept_in} "
                "(readable by you alone) for the next runs",
                markup=False,
                soft_wrap=True,
            )
        else:
            err.print(
                "made an integrator key named 'simulator' for this run only: it could not "
                f"be kept ({kept.problem}), so the next run replaces it",
                markup=False,
            )
    if local:
        _warn_if_no_desk(engine, agent)
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
    except ServerRefused as exc:
        fail(*_refusal(exc, url, own_key))
    except (OSError, RuntimeError) as exc:
        fail(f"the server at {url} did not take the contact: {exc}", "is `warmline serve` running?")
    console.print(f"played {done} contact{'' if done == 1 else 's'}")


def _warn_if_no_desk(engine: Engine, agent: str) -> None:
    """Say so when no desk would show the contacts: no live key that may read customers
    (agent, supervisor or admin) is named ``agent`` in the local memory."""
    now = dt.datetime.now(dt.UTC)
    if any(
        k.name == agent and k.active(now) and allows(k.role, Permission.READ_CUSTOMERS)
        for k in list_keys(engine)
    ):
        return
    err.print(
        f"[yellow]warning:[/] no desk is named '{escape(agent)}': no active agent, supervisor "
        "or admin key has that name in this database, so these contacts pop on no desk. "
        f"Create one with `warmline keys create --role agent --name {escape(agent)}` and sign "
        "in with it, or pass --agent with the name of a desk's key (`warmline keys list`)."
    )


def _refusal(exc: ServerRefused, url: str, own_key: bool) -> tuple[str, str]:
    """What went wrong and what to do, for an error the server answered."""
    code = str(exc.problem.get("code", ""))
    detail = str(exc.problem.get("detail", exc))
    if exc.status == 401 and own_key:
        return (
            f"the server at {url} does not know the simulator's key (401 {code})",
            "the key was made in this machine's database (WARMLINE_DATABASE_URL), and that "
            "server serves another one: pass --key with a key it knows (where it runs: "
            "`warmline keys create --role integrator --name simulator`), or point "
            "WARMLINE_DATABASE_URL at the database it serves",
        )
    if exc.status == 401:
        return (
            f"the server at {url} does not know this key (401 {code}): {detail}",
            "the key given with --key or WARMLINE_KEY is unknown, revoked or expired on that "
            "server (it may serve another database): pass a key made where it runs",
        )
    if exc.status == 403:
        return (
            f"the server at {url} refused the key (403 {code}): {detail}",
            "posting contacts and events needs an integrator or admin key",
        )
    hint = str(exc.problem.get("hint", "")) or "the server's log has the details"
    return f"the server at {url} refused the contact ({exc.status} {code}): {detail}", hint
