"""Merge suggestions: two customers that may be one person, waiting for a human.

Ingest and batch dedupe raise them (scores between the thresholds, shared household
identifiers, conflicting verified identifiers); an agent records the customer's own
answer to "is this also you?"; a supervisor approves (a merge,
:func:`warmline.actions.merges.approve_suggestion`) or rejects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Connection, Engine

from warmline.actions.audit import append_chained, audit_row
from warmline.domain.access.roles import Actor
from warmline.errors import Conflict, NotFound
from warmline.storage import identity_queries as iq
from warmline.storage import schema as t
from warmline.storage.engine import writing

ANSWERS = ("yes", "no")


def open_suggestion(conn: Connection, suggestion_id: str) -> dict[str, Any]:
    """The suggestion, if it is still open (its row locked until the transaction ends: a
    decision at the same moment waits, then finds it settled); a clear error otherwise."""
    suggestion = iq.suggestion_row(conn, suggestion_id, for_update=True)
    if suggestion is None:
        raise NotFound(
            "suggestion_not_found",
            f"no merge suggestion '{suggestion_id[:60]}'",
            hint="list open suggestions with GET /v1/merge-suggestions",
        )
    if suggestion["status"] != "open":
        raise Conflict(
            "suggestion_settled",
            f"this suggestion was {suggestion['status']} "
            f"at {suggestion['decided_at']:%Y-%m-%d %H:%M} UTC",
            hint="nothing to do; GET /v1/merges?customer_id= shows what was merged",
        )
    return suggestion


def reject_suggestion(
    engine: Engine, suggestion_id: str, actor: Actor, note: str | None = None
) -> dict[str, Any]:
    """A supervisor decides the two are different people."""
    now = dt.datetime.now(dt.UTC)
    with writing(engine) as conn, conn.begin():
        suggestion = open_suggestion(conn, suggestion_id)
        _decide(conn, suggestion_id, "rejected", actor, now, note)
        _audit(conn, actor, "suggestion.rejected", suggestion, {"note": note})
        found = iq.suggestion_row(conn, suggestion_id)
    assert found is not None
    return found


def answer_suggestion(
    engine: Engine, suggestion_id: str, actor: Actor, answer: str
) -> dict[str, Any]:
    """Record the customer's answer to "is this also you?". "No" settles it; "yes" puts it
    first in the supervisors' queue (a merge still needs a supervisor)."""
    assert answer in ANSWERS
    now = dt.datetime.now(dt.UTC)
    with writing(engine) as conn, conn.begin():
        suggestion = open_suggestion(conn, suggestion_id)
        conn.execute(
            t.merge_suggestions.update()
            .where(t.merge_suggestions.c.id == suggestion_id)
            .values(customer_answer=answer, answered_by=actor.key_id, answered_at=now)
        )
        if answer == "no":
            _decide(conn, suggestion_id, "rejected", actor, now, "the customer said it is not them")
        _audit(conn, actor, "suggestion.answered", suggestion, {"answer": answer})
        found = iq.suggestion_row(conn, suggestion_id)
    assert found is not None
    return found


def settle_suggestions(
    conn: Connection,
    cluster: Iterable[str],
    merge_id: str,
    actor: Actor,
    now: dt.datetime,
    approved: str | None = None,
) -> int:
    """Close open suggestions between records that are now one customer: the one approved
    (``approved``) as approved, any others as superseded by the merge."""
    records = set(cluster)
    s = t.merge_suggestions
    found = [
        row
        for row in iq.suggestions_touching(conn, records)
        if row["status"] == "open" and {row["customer_id"], row["candidate_id"]} <= records
    ]
    for row in found:
        status = "approved" if row["id"] == approved else "superseded"
        conn.execute(
            s.update()
            .where(s.c.id == row["id"])
            .values(status=status, decided_at=now, decided_by=actor.key_id, merge_id=merge_id)
        )
    return len(found)


def reject_after_undo(conn: Connection, suggestion_id: str, actor: Actor, now: dt.datetime) -> None:
    """A merge approved from a suggestion was undone: the suggestion stands rejected."""
    _decide(conn, suggestion_id, "rejected", actor, now, "the merge it led to was undone")


def _decide(
    conn: Connection,
    suggestion_id: str,
    status: str,
    actor: Actor,
    now: dt.datetime,
    note: str | None,
) -> None:
    conn.execute(
        t.merge_suggestions.update()
        .where(t.merge_suggestions.c.id == suggestion_id)
        .values(status=status, decided_at=now, decided_by=actor.key_id, decision_note=note)
    )


def _audit(
    conn: Connection, actor: Actor, action: str, suggestion: dict[str, Any], extra: dict[str, Any]
) -> None:
    detail = {
        "suggestion_id": suggestion["id"],
        "customer_id": suggestion["customer_id"],
        "candidate_id": suggestion["candidate_id"],
        **extra,
    }
    root = iq.live_root(conn, suggestion["customer_id"])
    append_chained(conn, [audit_row(actor, action, root, detail)])
