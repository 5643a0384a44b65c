"""The ``warmline`` command line (Typer). Settings come from ``WARMLINE_*`` variables."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import sqlalchemy as sa
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table
from sqlalchemy.engine import Engine

from warmline.actions.ingest import ItemResult, ingest_events
from warmline.actions.keys import create_key, revoke_key, revoke_keys_named
from warmline.actions.rebuild import rebuild_projections
from warmline.cli.console import (
    check_schema,
    console,
    engine_for,
    err,
    fail,
    report,
    reported_errors,
)
from warmline.cli.identity import identity_app
from warmline.cli.reasons import reasons_app
from warmline.config import Settings
from warmline.domain.access.roles import Role
from warmline.errors import WarmlineError
from warmline.events import EventError
from warmline.storage import migrate
from warmline.storage import schema as t

app = typer.Typer(
    help="Warmline: the customer memory for contact centres.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys (stored hashed; shown once).", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
retention_app = typer.Typer(help="Retention of data past its time.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(identity_app, name="identity")
app.add_typer(reasons_app, name="reasons")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema in WARMLINE_DATABASE_URL (default ./warmline.db)."""
    settings = Settings()
    engine = engine_for(settings)
    migrate.upgrade(engine)
    console.print(f"schema at [bold]{migrate.current_revision(engine)}[/] in {engine.url!r}")


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, remove nothing.")] = False,
) -> None:
    """Remove each kind of data older than its period in WARMLINE_RETENTION_DAYS."""
    from warmline.actions.retention import run_retention

    settings = Settings()
    engine = engine_for(settings)
    check_schema(engine)
    removed = run_retention(engine, settings.retention_days, dry_run=dry_run)
    table = Table("kind", "days", "would remove" if dry_run else "removed")
    for name, count in removed.items():
        table.add_row(name, str(settings.retention_days.get(name.split(".")[0], "")), str(count))
    console.print(table)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain end to end; exit 1 at the first broken entry."""
    from warmline.actions.audit import verify_chain

    engine = engine_for(Settings())
    check_schema(engine)
    checked, broken = verify_chain(engine)
    if broken is not None:
        fail(
            f"the audit log's chain breaks at entry {broken} (after {checked} good entries): "
            "it was changed, or an entry was inserted or deleted",
            "restore the log from a backup and investigate who had write access",
            code=1,
        )
    console.print(f"audit log intact: {checked} entries, hash chain verified")


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


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [WARMLINE_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [WARMLINE_PORT].")] = None,
) -> None:
    """Serve the HTTP API (docs at /docs) on the configured database."""
    settings = Settings()
    engine = engine_for(settings)
    check_schema(engine)
    _run_server(settings, engine, host or settings.host, port or settings.port)


def _run_server(settings: Settings, engine: Any, host: str, port: int) -> None:
    import uvicorn

    from warmline.app import create_app
    from warmline.models.reason_encoder import check_installed

    if settings.insight:  # models load in the background: a broken install is said now
        with reported_errors():
            check_installed()
    console.print(
        f"Warmline on [bold]http://{host}:{port}[/] (API docs: http://{host}:{port}/docs)"
    )
    # Desk streams stay open; give them 3 s to close on Ctrl-C instead of waiting forever.
    uvicorn.run(
        create_app(settings, engine),
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=3,
    )


@app.command("demo")
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
        _run_server(settings, engine, host, port)


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


@app.command("simulate")
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


@app.command("import")
def import_events(
    path: Annotated[
        Path,
        typer.Argument(
            help="A JSON Lines file: one CloudEvents envelope a line.", exists=True, dir_okay=False
        ),
    ],
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="Events per transaction.")
    ] = 1000,
    show_errors: Annotated[int, typer.Option(help="How many rejected lines to print.")] = 20,
) -> None:
    """Bulk-load events (one envelope a line) through the same path as POST /v1/events.

    Safe to re-run: events already stored are skipped as duplicates. Exits 1 if any
    line was rejected.
    """
    settings = Settings()
    engine = engine_for(settings)
    check_schema(engine)
    totals = {"accepted": 0, "pending": 0, "duplicate": 0, "rejected": 0}
    rejected: list[tuple[int, ItemResult]] = []
    batch: list[Any] = []
    lines: list[int] = []

    def flush() -> None:
        result = ingest_events(
            engine,
            batch,
            region=settings.default_region,
            max_batch=settings.max_batch_events,
            insight=settings.insight,
        )
        for item in result.items:
            totals[item.status] += 1
            if item.status == "rejected":
                rejected.append((lines[item.index], item))
        batch.clear()
        lines.clear()

    progress = Progress(
        TextColumn("importing"),
        BarColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
    )
    with path.open("rb") as handle, progress:
        task = progress.add_task("import", total=path.stat().st_size)
        for number, line in enumerate(handle, start=1):
            progress.advance(task, len(line))
            if not line.strip():
                continue
            try:
                batch.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                totals["rejected"] += 1
                error = EventError("", f"not valid JSON: {exc}", "invalid_json")
                rejected.append((number, ItemResult(-1, None, None, "rejected", errors=(error,))))
                continue
            lines.append(number)
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()

    table = Table("accepted", "pending", "duplicates", "rejected")
    table.add_row(*(str(totals[k]) for k in ("accepted", "pending", "duplicate", "rejected")))
    console.print(table)
    for number, item in rejected[:show_errors]:
        for e in item.errors:
            # Reasons quote the input: print them as plain text, never as Rich markup.
            err.print(f"line {number}: {e.field or '/'}: {e.reason} [{e.code}]", markup=False)
    if len(rejected) > show_errors:
        err.print(f"... and {len(rejected) - show_errors} more rejected lines")
    if rejected:
        raise typer.Exit(1)


@app.command("rebuild")
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


def main() -> None:
    """Entry point of the ``warmline`` command."""
    try:
        app()
    except WarmlineError as exc:
        report(exc.message, exc.hint)
        sys.exit(2)
