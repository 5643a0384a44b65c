"""A visit at the counter: finished with an outcome and a summary, recorded as a no-show, or
(a guest's) linked to the customer once staff know who they are.

The end is an ``interaction.ended`` event through ingest, so the visit is on the timeline
with its outcome and summary, its case counts it as effort, and a rebuild keeps it.
Linking a guest is a merge of the record their visit made into the customer (undoable
like any merge): the number they checked in with becomes one of the customer's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Engine

from warmline.actions.branch_setup import branch_or_404, check_staff
from warmline.actions.calls import BRANCH_SOURCE, contact_id_of
from warmline.actions.continuations import live_customer
from warmline.actions.ingest import ingest_events
from warmline.actions.merges import merge_customers
from warmline.domain.access.roles import Actor
from warmline.domain.branch.tickets import CALLED, DONE, NO_SHOW, WAITING
from warmline.domain.ids import stable_id
from warmline.errors import Conflict, InvalidRequest, NotFound
from warmline.storage import branch_queries as bq
from warmline.storage import schema as t
from warmline.storage.engine import writing
from warmline.storage.live import announce, screen_topic

OUTCOMES = ("resolved", "unresolved", "follow_up", "escalated")
MAX_SUMMARY_CHARS = 2000


def visit_or_404(engine: Engine, visit_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        found = bq.visit(conn, visit_id)
    if found is None:
        raise NotFound("visit_not_found", f"no visit '{visit_id[:60]}'")
    return found


def finish_visit(
    engine: Engine,
    actor: Actor,
    visit_id: str,
    *,
    outcome: str,
    summary: str | None,
    region: str = "GB",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """End a visit at the counter: its outcome and what was done, in a line or two."""
    now = now or dt.datetime.now(dt.UTC)
    if outcome not in OUTCOMES:
        raise InvalidRequest(
            "invalid_outcome",
            f"'{outcome[:40]}' is not an outcome of a visit",
            hint=f"one of: {', '.join(OUTCOMES)}",
        )
    visit = visit_or_404(engine, visit_id)
    check_staff(actor, branch_or_404(engine, visit["branch"]))
    if visit["status"] != CALLED or not visit["interaction_id"]:
        raise Conflict(
            "visit_not_at_counter",
            f"{visit['ticket']} is {visit['status'].replace('_', ' ')}, not at a counter",
            hint="call the ticket first" if visit["status"] == WAITING else "it is over already",
        )
    summary = " ".join((summary or "").split())[:MAX_SUMMARY_CHARS] or None
    _end(engine, visit, outcome, summary, region, now)
    return _close(engine, visit, DONE, outcome, now)


def record_no_show(
    engine: Engine,
    actor: Actor,
    visit_id: str,
    *,
    region: str = "GB",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The customer did not come when called (or left the queue before)."""
    now = now or dt.datetime.now(dt.UTC)
    visit = visit_or_404(engine, visit_id)
    check_staff(actor, branch_or_404(engine, visit["branch"]))
    if visit["status"] not in (WAITING, CALLED):
        raise Conflict(
            "visit_closed",
            f"{visit['ticket']} is {visit['status'].replace('_', ' ')} already",
            hint="nothing to record",
        )
    if visit["interaction_id"]:
        _end(engine, visit, "abandoned", "Did not come to the counter when called.", region, now)
    return _close(engine, visit, NO_SHOW, "abandoned", now)


def link_guest(
    engine: Engine, actor: Actor, visit_id: str, customer_id: str, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Link a guest's visit to the customer staff found: the record the visit made is merged
    into theirs (undo it like any merge). Returns the merge."""
    visit = visit_or_404(engine, visit_id)
    check_staff(actor, branch_or_404(engine, visit["branch"]))
    if not visit["guest"]:
        raise Conflict(
            "visit_not_a_guest",
            f"{visit['ticket']} was checked in as a known customer",
            hint="only a guest's visit is linked; a wrong customer is a merge to undo",
        )
    if not visit["interaction_id"] or visit["customer_id"] is None:
        raise Conflict(
            "visit_not_at_counter",
            f"{visit['ticket']} has not been called yet",
            hint="call the ticket, then link it at the counter",
        )
    with engine.connect() as conn:
        into = live_customer(conn, customer_id)
        guest = live_customer(conn, visit["customer_id"])
    if guest == into:
        raise Conflict("visit_linked", f"{visit['ticket']} is linked to that customer already")
    return merge_customers(
        engine,
        from_id=guest,
        into_id=into,
        actor=actor,
        reason=f"guest visit {visit['ticket']} at {visit['branch']} linked at the counter",
        now=now,
    )


def _end(
    engine: Engine,
    visit: dict[str, Any],
    outcome: str,
    summary: str | None,
    region: str,
    now: dt.datetime,
) -> None:
    envelope = {
        "specversion": "1.0",
        "id": stable_id("visit", visit["id"], "ended"),
        "source": BRANCH_SOURCE,
        "type": "interaction.ended",
        "time": now.isoformat(),
        "data": {
            "interaction_id": contact_id_of(visit["id"]),
            "outcome": outcome,
            **({"summary": summary} if summary else {}),
        },
    }
    ingest_events(engine, [envelope], region=region, now=now)


def _close(
    engine: Engine, visit: dict[str, Any], status: str, outcome: str, now: dt.datetime
) -> dict[str, Any]:
    v = t.visits
    with writing(engine) as conn, conn.begin():
        moved = conn.execute(
            v.update()
            .where(v.c.id == visit["id"], v.c.status == visit["status"])
            .values(status=status, ended_at=now, outcome=outcome)
        )
        announce(conn, screen_topic(visit["branch"]))
    if moved.rowcount != 1:
        raise Conflict(
            "visit_changed", f"{visit['ticket']} changed meanwhile", hint="reload the desk"
        )
    return {**visit, "status": status, "ended_at": now, "outcome": outcome}
