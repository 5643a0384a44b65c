"""``warmline risk``: recomputing risk scores."""

from __future__ import annotations

import typer

from warmline.cli.console import checked_engine, console
from warmline.config import Settings

risk_app = typer.Typer(help="Customers' risk scores.", no_args_is_help=True)


@risk_app.command("refresh")
def risk_refresh() -> None:
    """Rescore every customer with anything in the last 60 days, under the settings in force
    (after changing WARMLINE_RISK_THRESHOLD or the warning activities). Customers who cross
    the threshold get a customer.at_risk event."""
    from warmline.actions.risk import refresh_all, risk_policy

    count = refresh_all(checked_engine(), risk_policy(Settings()), notify=True)
    console.print(f"rescored {count} customers")
