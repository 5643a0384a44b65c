"""``warmline db``: the database schema."""

from __future__ import annotations

import typer

from warmline.cli.console import console, engine_for
from warmline.config import Settings
from warmline.storage import migrate

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema in WARMLINE_DATABASE_URL (default ./warmline.db)."""
    settings = Settings()
    engine = engine_for(settings)
    migrate.upgrade(engine)
    console.print(f"schema at [bold]{migrate.current_revision(engine)}[/] in {engine.url!r}")
