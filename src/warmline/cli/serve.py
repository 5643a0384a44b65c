"""``warmline serve``: the HTTP API and the agent desk."""

from __future__ import annotations

import errno
import socket
from typing import Annotated, Any

import typer

from warmline.cli.console import check_schema, console, engine_for, fail, reported_errors
from warmline.config import Settings


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [WARMLINE_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [WARMLINE_PORT].")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Server processes sharing the port; above 1 needs PostgreSQL [WARMLINE_WORKERS].",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (docs at /docs) on the configured database."""
    settings = Settings()
    engine = engine_for(settings)
    workers = workers or settings.workers
    if workers > 1 and engine.dialect.name != "postgresql":
        fail(
            f"--workers {workers} needs PostgreSQL: on SQLite one process serves, and the "
            "desks hear of new contacts within that process",
            "serve with one worker, or move the memory to PostgreSQL "
            "(WARMLINE_DATABASE_URL=postgresql://...)",
        )
    check_schema(engine)
    run_server(settings, engine, host or settings.host, port or settings.port, workers=workers)


def run_server(settings: Settings, engine: Any, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    from warmline.app import create_app
    from warmline.cli.forms import config_problem
    from warmline.models.feelings_encoder import FEELINGS_ENCODER, feelings_encoder_installed
    from warmline.models.reason_encoder import check_installed
    from warmline.serving.http_protocol import GuardedHttpProtocol
    from warmline.serving.logs import configure_logging
    from warmline.serving.profile_config import ConfigFileError, profile_config

    if settings.insight:  # models load in the background: a broken install is said now
        with reported_errors():
            check_installed()
            if feelings_encoder_installed():
                check_installed(name=FEELINGS_ENCODER)
    try:  # forms and moment rules with a problem stop the server before it starts
        profile_config(settings)
    except ConfigFileError as exc:
        config_problem(exc)
    check_port_free(host, port)
    with reported_errors():  # a wrong branches file is said with its fixes, then exit 2
        app = create_app(settings, engine)
    console.print(
        f"Warmline on [bold]http://{host}:{port}[/] (API docs: http://{host}:{port}/docs)"
    )
    configure_logging(settings.log_level, settings.log_format)
    # Desk streams stay open; give them 3 s to close on Ctrl-C instead of waiting forever.
    # log_config=None: uvicorn keeps the JSON logging set up above.
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": 3,
        # A connection that sends no request head within 20 s is closed (idle sockets).
        "http": GuardedHttpProtocol,
    }
    if workers == 1:
        uvicorn.run(app, **options)
        return
    # Several processes on one port: each builds its own app from the same settings (the
    # branches file was loaded once, above); any of them can take any request.
    engine.dispose()
    console.print(f"{workers} workers; desks hear of each other's writes by LISTEN/NOTIFY")
    # A worker imports the models and builds its app before it answers the supervisor's
    # health check: on a busy machine that takes longer than uvicorn's 5 s default.
    uvicorn.run(
        "warmline.app:worker_app",
        factory=True,
        workers=workers,
        timeout_worker_healthcheck=60,
        **options,
    )


def check_port_free(host: str, port: int) -> None:
    """Exit 2 with what to do when the server could not listen on ``host:port`` (a port
    already taken, most often), before any URL is printed that would lead nowhere."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        fail(
            f"cannot listen on {host}:{port}: {host} is not an address of this machine "
            f"({exc.strerror})",
            "pass --host with one of this machine's addresses, or set WARMLINE_HOST",
        )
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                fail(
                    f"port {port} on {host} is already in use: another Warmline, or another "
                    "program, is listening there",
                    f"stop it, or serve on another port: --port {port + 1} "
                    f"(or WARMLINE_PORT={port + 1})",
                )
            fail(
                f"cannot listen on {host}:{port}: {exc.strerror}",
                "choose another port with --port (or WARMLINE_PORT; ports below 1024 need "
                "root), or another address with --host (or WARMLINE_HOST)",
            )
