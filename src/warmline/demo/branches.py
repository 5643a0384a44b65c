"""The demo bank's branches (``branches.yaml``, also an example branches file): Soho and
Leeds, with their services, counters and the demo's staff, so the kiosk, the waiting-room
screen and the desk's counter work from ``warmline demo`` on."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from warmline.actions.branch_setup import LoadReport, load_branches_file

BRANCHES_FILE = Path(__file__).parent / "branches.yaml"


def seed_branches(engine: Engine) -> LoadReport:
    """Store the demo's branches (again: a branch left as it was is unchanged)."""
    return load_branches_file(engine, BRANCHES_FILE)
