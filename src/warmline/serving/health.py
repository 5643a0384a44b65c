"""Readiness: may a load balancer send this process requests?

``/healthz`` says only that the process answers (liveness: restart it if not).
``/readyz`` checks what a request needs: the database answers, its schema is the one
this code expects, and the models have loaded (when insight is on). Each check says what
it found, so an operator reading the JSON knows which to fix.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from warmline.models import is_warm
from warmline.storage import migrate
from warmline.storage.faults import fault_code


def readiness(engine: Engine, *, insight: bool) -> tuple[bool, dict[str, Any]]:
    """(ready, the checks with what each found)."""
    checks: dict[str, Any] = {}
    head = migrate.head_revision()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        current = migrate.current_revision(engine)
    except DBAPIError as exc:
        checks["database"] = {"ok": False, "code": fault_code(exc) or "database_error"}
        checks["schema"] = {"ok": False, "expected": head, "found": None}
    else:
        checks["database"] = {"ok": True, "dialect": engine.dialect.name}
        checks["schema"] = {"ok": current == head, "expected": head, "found": current}
        if current != head:
            checks["schema"]["hint"] = "run `warmline db upgrade`"
    checks["models"] = {"ok": is_warm() or not insight, "loaded": is_warm(), "needed": insight}
    return all(check["ok"] for check in checks.values()), checks
