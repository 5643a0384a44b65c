"""``warmline serve``: the HTTP API and the agent desk."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from warmline.cli.console import check_schema, console, engine_for, reported_errors
from warmline.config import Settings


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [WARMLINE_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [WARMLINE_PORT].")] = None,
) -> None:
    """Serve the HTTP API (docs at /docs) on the configured database."""
    settings = Settings()
    engine = engine_for(settings)
    check_schema(engine)
    run_server(settings, engine, host or settings.host, port or settings.port)


def run_server(settings: Settings, engine: Any, host: str, port: int) -> None:
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
