"""Derived figures brought up to date just after a write, not inside it.

A contact's start (a call, a branch visit called) must reach the agent's desk at once. What
the desk does not need to show it, the metrics rollups and the risk scores, is not kept in
the start's transaction: the start writes what it changed (its batch's
:class:`~warmline.actions.metrics.touched.Touched`) to ``derived_due`` in that same
transaction, so nothing can be lost between the two, and announces :data:`DERIVED_TOPIC`.
Once it has committed, the server's background worker (the leading one, see
:mod:`warmline.serving.background`) hears that and calls :func:`bring_up_to_date`, which
recomputes them exactly as ingest would have (both read the memory as it stands, so the
result does not depend on when they run). Anything that reads them and must see every
write first (``GET /v1/metrics``, the at-risk queue, ``warmline metrics check``) calls it
too; with nothing due that is one indexed read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warmline.actions.metrics.refresh import refresh_metrics
from warmline.actions.metrics.touched import Touched
from warmline.actions.retries import in_write_transaction
from warmline.actions.risk import refresh_risk, risk_policy
from warmline.domain.risk import RiskPolicy
from warmline.storage import schema as t
from warmline.storage.live import DERIVED_TOPIC, announce

#: Entries brought up to date in one transaction.
BATCH = 200
_FIELDS = ("interactions", "cases", "feedback", "commitments", "customers", "risk")


def defer(conn: Connection, touched: Touched, *, now: dt.datetime) -> None:
    """Record, in the caller's transaction, that what ``touched`` names is to be brought up
    to date once it commits (and wake whoever does it then)."""
    if not touched:
        return
    conn.execute(t.derived_due.insert().values(touched=_to_json(touched), created_at=now))
    announce(conn, DERIVED_TOPIC)


def due(conn: Connection) -> bool:
    """Whether anything waits to be brought up to date."""
    return conn.execute(sa.select(t.derived_due.c.id).limit(1)).first() is not None


def bring_up_to_date(
    engine: Engine, policy: RiskPolicy | None = None, *, now: dt.datetime | None = None
) -> int:
    """Recompute the rollups and risk scores of everything due, oldest first, a batch per
    transaction; return how many entries were done. Safe to call from several places at
    once: on PostgreSQL a second caller waits for the first's entries and then finds them
    done (and reads what it wrote)."""
    policy = policy or risk_policy()
    with engine.connect() as conn:
        if not due(conn):
            return 0
    done = 0
    while True:
        count = in_write_transaction(
            engine, lambda conn: _one_batch(conn, policy, now or dt.datetime.now(dt.UTC))
        )
        done += count
        if count < BATCH:
            return done


def _one_batch(conn: Connection, policy: RiskPolicy, now: dt.datetime) -> int:
    d = t.derived_due
    query = sa.select(d.c.id, d.c.touched).order_by(d.c.id).limit(BATCH)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    rows = conn.execute(query).all()
    if not rows:
        return 0
    touched = Touched()
    for row in rows:
        touched.update(_from_json(row.touched))
    refresh_metrics(conn, touched)
    refresh_risk(conn, touched.risk | touched.customers, policy, now=now)
    conn.execute(d.delete().where(d.c.id.in_([row.id for row in rows])))
    return len(rows)


def _to_json(touched: Touched) -> dict[str, list[str]]:
    return {name: sorted(getattr(touched, name)) for name in _FIELDS if getattr(touched, name)}


def _from_json(data: dict[str, Any]) -> Touched:
    return Touched(**{name: set(data.get(name, ())) for name in _FIELDS})
