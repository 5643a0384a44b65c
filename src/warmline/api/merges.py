"""Merges and merge suggestions: preview, merge, undo; the supervisors' review queue; the
customer's own answer to "is this also you?"."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from warmline.actions.audit import record_read
from warmline.actions.merges import (
    approve_suggestion,
    check_mergeable,
    merge_customers,
    undo_merge,
)
from warmline.actions.suggestions import answer_suggestion, reject_suggestion
from warmline.domain.access.roles import Actor, Permission
from warmline.errors import NotFound
from warmline.serving.access import access_customer, seen_by
from warmline.serving.deps import EngineDep, require
from warmline.serving.responses import json_response
from warmline.storage import identity_queries as iq

router = APIRouter(tags=["identity"])
Merger = Annotated[Actor, Depends(require(Permission.MERGE_CUSTOMERS))]
Answerer = Annotated[Actor, Depends(require(Permission.ANSWER_SUGGESTIONS))]
CustomerId = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=500)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PairIn(_Body):
    """Two live customers: ``from_id`` is merged into ``into_id`` (which keeps its id)."""

    from_id: CustomerId
    into_id: CustomerId


class MergeIn(PairIn):
    reason: Reason = Field(description="why (kept with the merge and audited)")
    override_conflicts: bool = Field(
        False, description="merge even though both have different verified identifiers"
    )


class UndoIn(_Body):
    reason: Reason


class DecisionIn(_Body):
    note: Note | None = None
    override_conflicts: bool = False


class AnswerIn(_Body):
    answer: Literal["yes", "no"] = Field(description="the customer's answer to 'is this you?'")


@router.post("/v1/merges/preview", summary="What a merge would do, without doing it")
def preview(body: PairIn, engine: EngineDep, actor: Merger) -> Response:
    """Both customers side by side, the per-field evidence and match probability, verified
    identifiers that conflict, and the traits the merged customer would have."""
    with engine.connect() as conn:
        check_mergeable(conn, body.from_id, body.into_id)
        for customer_id in (body.from_id, body.into_id):
            access_customer(conn, engine, actor, customer_id, "merge.previewed")
        found = iq.preview(conn, body.from_id, body.into_id)
    return json_response(seen_by(actor, found))


@router.post("/v1/merges", summary="Merge two customers", status_code=201)
async def post_merge(body: MergeIn, engine: EngineDep, actor: Merger) -> Response:
    """Recorded with its rule, score, evidence and actor; undo it with
    POST /v1/merges/{id}/undo."""
    merge = await run_in_threadpool(
        merge_customers,
        engine,
        from_id=body.from_id,
        into_id=body.into_id,
        actor=actor,
        reason=body.reason,
        override_conflicts=body.override_conflicts,
    )
    return json_response(seen_by(actor, merge), 201)


@router.get("/v1/merges", summary="The merges of a customer")
def list_merges(
    engine: EngineDep, actor: Merger, customer_id: Annotated[str, Query(max_length=40)]
) -> Response:
    """Every merge (in force or undone) involving the customer or any record merged into it."""
    with engine.connect() as conn:
        live = access_customer(conn, engine, actor, customer_id, "merges.viewed")
        merges = iq.merges_of(conn, iq.cluster_of(conn, {live}) | {customer_id})
    return json_response({"customer_id": live, "merges": [seen_by(actor, m) for m in merges]})


@router.get("/v1/merges/{merge_id}", summary="One merge")
def get_merge(merge_id: str, engine: EngineDep, actor: Merger) -> Response:
    with engine.connect() as conn:
        merge = iq.merge_row(conn, merge_id)
        if merge is None:
            raise NotFound("merge_not_found", f"no merge '{merge_id[:60]}'")
        record_read(engine, actor, "merge.viewed", merge["into_id"], {"merge_id": merge_id})
    return json_response(seen_by(actor, merge))


@router.post("/v1/merges/{merge_id}/undo", summary="Undo a merge")
async def post_undo(merge_id: str, body: UndoIn, engine: EngineDep, actor: Merger) -> Response:
    """Identifiers, interactions, cases, facts and everything recorded since go back to the
    customer record they were recorded on, as if the merge had never been made."""
    undone = await run_in_threadpool(undo_merge, engine, merge_id, actor, body.reason)
    return json_response(seen_by(actor, undone))


@router.get("/v1/merge-suggestions", summary="Open merge suggestions, for review")
def list_suggestions(
    engine: EngineDep,
    actor: Merger,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Pairs that may be one person: the customer confirmed ones first, then the newest;
    both sides as they are now, with the evidence and the reasons. Pass ``next_cursor``
    back as ``cursor`` for the next page."""
    with engine.connect() as conn:
        found, next_cursor = iq.open_suggestions(conn, limit=limit, cursor=cursor)
        total = iq.count_open_suggestions(conn)
    record_read(engine, actor, "suggestions.viewed", None, {"count": len(found)})
    return json_response(
        {
            "suggestions": [seen_by(actor, s) for s in found],
            "open": total,
            "next_cursor": next_cursor,
        }
    )


@router.post("/v1/merge-suggestions/{suggestion_id}/approve", summary="Approve: merge them")
async def post_approve(
    suggestion_id: str, body: DecisionIn, engine: EngineDep, actor: Merger
) -> Response:
    merge = await run_in_threadpool(
        approve_suggestion,
        engine,
        suggestion_id,
        actor,
        body.note,
        override_conflicts=body.override_conflicts,
    )
    return json_response(seen_by(actor, merge), 201)


@router.post("/v1/merge-suggestions/{suggestion_id}/reject", summary="Reject: different people")
async def post_reject(
    suggestion_id: str, body: DecisionIn, engine: EngineDep, actor: Merger
) -> Response:
    rejected = await run_in_threadpool(reject_suggestion, engine, suggestion_id, actor, body.note)
    return json_response(seen_by(actor, rejected))


@router.post(
    "/v1/merge-suggestions/{suggestion_id}/answer", summary="The customer's answer: is this you?"
)
async def post_answer(
    suggestion_id: str, body: AnswerIn, engine: EngineDep, actor: Answerer
) -> Response:
    """ "No" closes the suggestion; "yes" puts it first in the supervisors' queue: a merge
    still needs a supervisor."""
    answered = await run_in_threadpool(answer_suggestion, engine, suggestion_id, actor, body.answer)
    return json_response(seen_by(actor, answered))
