"""Merging two customers, undoing a merge, and deciding merge suggestions.

Every merge is recorded with its rule, score, per-field evidence and actor, and
audited in the same transaction. Undoing one replays the merges still in force
(:mod:`warmline.actions.projection.clustering`): identifiers, interactions, cases, facts and
everything recorded since go back to the customer record they were recorded on.
Merges take an exclusive lock (PostgreSQL; SQLite's writer lock does the same), so
two merges touching one customer happen one after the other, and the second sees the
first.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warmline.actions.audit import append_chained, audit_row
from warmline.actions.metrics.refresh import refresh_metrics
from warmline.actions.metrics.touched import Touched
from warmline.actions.outbox import enqueue
from warmline.actions.projection.batch import MERGE_LOCK
from warmline.actions.projection.clustering import recluster
from warmline.actions.projection.rows import new_row
from warmline.actions.risk import refresh_risk, risk_policy
from warmline.actions.suggestions import open_suggestion, reject_after_undo, settle_suggestions
from warmline.domain import webhooks
from warmline.domain.access.roles import Actor
from warmline.domain.identity.resolution import verified_conflicts
from warmline.errors import Conflict, Gone, InvalidRequest, NotFound
from warmline.storage import identity_queries as iq
from warmline.storage import schema as t
from warmline.storage.engine import writing

RULES = ("manual", "suggestion", "auto_link", "shared_identifier", "dedupe")


def lock_merges(conn: Connection) -> None:
    """Serialise merges with each other and with ingest batches (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({MERGE_LOCK})"))


def moved_customers(moved: dict[str, tuple[str, str]]) -> Touched:
    """Every contribution of the customers rows moved from or to is recomputed."""
    customers = {root for pair in moved.values() for root in pair}
    return Touched(customers=customers, risk=set(customers))


def refresh_derived(conn: Connection, touched: Touched, now: dt.datetime) -> None:
    """Metrics and risk scores follow the rows a merge or an undo moved."""
    refresh_metrics(conn, touched)
    refresh_risk(conn, touched.risk, risk_policy(), now=now)


def check_mergeable(conn: Connection, from_id: str, into_id: str) -> list[str]:
    """Refuse what cannot be merged; return the kinds of verified identifiers that conflict."""
    if from_id == into_id:
        raise InvalidRequest(
            "merge_same_customer",
            "a customer cannot be merged into itself",
            hint="give two different customers: from_id is merged into into_id",
        )
    for role, customer_id in (("from_id", from_id), ("into_id", into_id)):
        row = iq.customer_state(conn, customer_id)
        if row is None:
            raise NotFound("customer_not_found", f"{role}: no customer '{customer_id[:60]}'")
        if row["status"] == "erased":
            raise Gone("customer_erased", f"{role}: customer '{customer_id[:60]}' was erased")
        if row["status"] == "merged":
            raise Conflict(
                "customer_merged",
                f"{role}: customer '{customer_id[:60]}' is already part of "
                f"customer '{row['merged_into']}'",
                hint="preview again with the customer it is part of now",
                extra={"live_id": row["merged_into"]},
            )
    return verified_conflicts(iq.identifiers_of(conn, from_id), iq.identifiers_of(conn, into_id))


def merge_customers(
    engine: Engine,
    *,
    from_id: str,
    into_id: str,
    actor: Actor,
    reason: str | None = None,
    rule: str = "manual",
    suggestion_id: str | None = None,
    override_conflicts: bool = False,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Merge customer ``from_id`` into ``into_id``; return the recorded merge."""
    assert rule in RULES
    now = now or dt.datetime.now(dt.UTC)
    with writing(engine) as conn, conn.begin():
        lock_merges(conn)
        merge = record_merge(
            conn,
            from_id=from_id,
            into_id=into_id,
            actor=actor,
            reason=reason,
            rule=rule,
            suggestion_id=suggestion_id,
            override_conflicts=override_conflicts,
            now=now,
        )
    return merge


def record_merge(
    conn: Connection,
    *,
    from_id: str,
    into_id: str,
    actor: Actor,
    reason: str | None,
    rule: str,
    suggestion_id: str | None,
    override_conflicts: bool,
    now: dt.datetime,
    score: float | None = None,
    evidence: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Merge inside the caller's transaction (which holds :func:`lock_merges`)."""
    conflicts = check_mergeable(conn, from_id, into_id)
    if conflicts and not override_conflicts:
        raise Conflict(
            "verified_identifiers_conflict",
            f"both customers have verified {', '.join(conflicts)} and none in common: the "
            "sources that verified them say these are two people",
            hint="check with the customer; to merge anyway send override_conflicts: true",
            extra={"conflicts": conflicts},
        )
    if evidence is None:
        comparison = iq.compare_customers(conn, from_id, into_id)
        evidence, score = comparison["evidence"], comparison["probability"]
    evidence = {**evidence, "conflicts_overridden": conflicts}
    merge = new_row(
        t.merges,
        id="mrg_" + secrets.token_hex(12),
        from_id=from_id,
        into_id=into_id,
        rule=rule,
        score=score,
        evidence=evidence,
        actor=actor.key_id,
        made_at=now,
        reason=reason,
        suggestion_id=suggestion_id,
    )
    conn.execute(t.merges.insert().values(merge))
    changed = recluster(conn, iq.cluster_of(conn, {from_id, into_id}), now=now)
    refresh_derived(conn, moved_customers(changed.moved), now)
    settled = settle_suggestions(
        conn, iq.cluster_of(conn, {into_id}), str(merge["id"]), actor, now, approved=suggestion_id
    )
    detail = {
        "merge_id": merge["id"],
        "from_id": from_id,
        "into_id": into_id,
        "rule": rule,
        "records_moved": len(changed.moved),
        "suggestions_settled": settled,
    }
    append_chained(conn, [audit_row(actor, "customer.merged", into_id, detail)])
    enqueue(conn, "merge.created", webhooks.merge_created(merge), now=now, customer_id=into_id)
    return {**merge, "records_moved": len(changed.moved)}


def undo_merge(
    engine: Engine, merge_id: str, actor: Actor, reason: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Undo a merge: everything goes back to where it would be had it never been made."""
    now = now or dt.datetime.now(dt.UTC)
    with writing(engine) as conn, conn.begin():
        lock_merges(conn)
        merge = iq.merge_row(conn, merge_id)
        if merge is None:
            raise NotFound(
                "merge_not_found",
                f"no merge '{merge_id[:60]}'",
                hint="list a customer's merges with GET /v1/merges?customer_id=",
            )
        if merge["status"] == "erased":
            raise Gone("customer_erased", "the customers of this merge were erased")
        if merge["status"] == "undone":
            raise Conflict(
                "merge_already_undone",
                f"merge '{merge_id[:60]}' was already undone "
                f"at {merge['undone_at']:%Y-%m-%d %H:%M} UTC by {merge['undone_by']}",
                hint="nothing to do; GET /v1/merges/{id} shows its state",
            )
        conn.execute(
            t.merges.update()
            .where(t.merges.c.id == merge_id)
            .values(status="undone", undone_at=now, undone_by=actor.key_id, undo_reason=reason)
        )
        root = iq.live_root(conn, merge["from_id"])
        changed = recluster(conn, iq.cluster_of(conn, {root}), now=now)
        refresh_derived(conn, moved_customers(changed.moved), now)
        if merge["suggestion_id"]:
            reject_after_undo(conn, merge["suggestion_id"], actor, now)
        detail = {
            "merge_id": merge_id,
            "from_id": merge["from_id"],
            "into_id": merge["into_id"],
            "reason": reason,
            "records_moved": len(changed.moved),
            "also_undone": changed.released,
        }
        append_chained(conn, [audit_row(actor, "merge.undone", merge["into_id"], detail)])
        enqueue(conn, "merge.undone", webhooks.merge_undone(merge, now), now=now,
                customer_id=merge["into_id"])  # fmt: skip
        merge = iq.merge_row(conn, merge_id)
    assert merge is not None
    return {**merge, "records_moved": len(changed.moved), "also_undone": changed.released}


def approve_suggestion(
    engine: Engine,
    suggestion_id: str,
    actor: Actor,
    note: str | None = None,
    *,
    override_conflicts: bool = False,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Merge the two customers a suggestion names (the newer record into the older)."""
    now = now or dt.datetime.now(dt.UTC)
    with writing(engine) as conn, conn.begin():
        lock_merges(conn)
        suggestion = open_suggestion(conn, suggestion_id)
        from_id = iq.live_root(conn, suggestion["customer_id"])
        into_id = iq.live_root(conn, suggestion["candidate_id"])
        if from_id == into_id:
            raise Conflict(
                "suggestion_settled",
                "these records are one customer already",
                hint="nothing to approve; the suggestion is closed",
            )
        evidence = {**suggestion["evidence"], "customer_answer": suggestion["customer_answer"]}
        merge = record_merge(
            conn,
            from_id=from_id,
            into_id=into_id,
            actor=actor,
            reason=note,
            rule="suggestion",
            suggestion_id=suggestion_id,
            override_conflicts=override_conflicts,
            now=now,
            score=suggestion["score"],
            evidence=evidence,
        )
    return merge
