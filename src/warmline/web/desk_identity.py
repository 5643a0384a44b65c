"""Desk pages for identity: the supervisors' review of possible duplicates, and the agent
recording the customer's answer to "is this also you?" from the card (each a desk form
post, see :func:`warmline.web.pages.desk_form`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from warmline.actions.audit import record_read
from warmline.actions.merges import approve_suggestion
from warmline.actions.suggestions import ANSWERS, answer_suggestion, reject_suggestion
from warmline.domain.access.roles import Permission, allows
from warmline.errors import InvalidRequest, NotFound
from warmline.serving.access import masked_pair
from warmline.serving.deps import EngineDep
from warmline.storage import identity_queries as iq
from warmline.web.pages import DeskActor, desk_form, render, require_on_desk

router = APIRouter(prefix="/desk", include_in_schema=False)
REVIEW_PAGE = 30
#: The shortest reason accepted for revealing a pair's values.
MIN_REASON = 5


@router.get("/identity")
def review_page(
    engine: EngineDep,
    actor: DeskActor,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    require_on_desk(actor, Permission.MERGE_CUSTOMERS)
    with engine.connect() as conn:
        found, next_cursor = iq.open_suggestions(conn, limit=REVIEW_PAGE, cursor=cursor)
        total = iq.count_open_suggestions(conn)
    record_read(engine, actor, "suggestions.viewed", None, {"count": len(found), "by": "desk"})
    # Masked for every role at first: an admin reveals one pair at a time, with a reason.
    suggestions = [masked_pair(s) for s in found]
    return render(
        "identity.html",
        actor=actor,
        suggestions=suggestions,
        total=total,
        first_page=cursor is None,
        may_reveal=allows(actor.role, Permission.SEE_UNMASKED),
        revealed=False,
        next_cursor=next_cursor,
        decided=None,
        merge_id=None,
    )


@router.post("/suggestions/{suggestion_id}/decide")
async def decide(
    suggestion_id: str, request: Request, engine: EngineDep, actor: DeskActor
) -> HTMLResponse:
    require_on_desk(actor, Permission.MERGE_CUSTOMERS)
    form = await desk_form(request)
    decision = form.get("decision")
    if decision == "approve":
        merge = await run_in_threadpool(approve_suggestion, engine, suggestion_id, actor, None)
        decided, merge_id = "Merged.", str(merge["id"])
    elif decision == "reject":
        await run_in_threadpool(reject_suggestion, engine, suggestion_id, actor, None)
        decided, merge_id = "Kept apart: different people.", None
    else:
        raise InvalidRequest("invalid_decision", "decide 'approve' or 'reject'")
    return render(
        "suggestion_review.html", s={"id": suggestion_id}, decided=decided, merge_id=merge_id
    )


@router.post("/suggestions/{suggestion_id}/reveal")
async def reveal(
    suggestion_id: str, request: Request, engine: EngineDep, actor: DeskActor
) -> HTMLResponse:
    """An admin sees one pair's values unmasked, for a reason kept in the audit log."""
    require_on_desk(actor, Permission.SEE_UNMASKED)
    form = await desk_form(request)
    reason = form.get("reason", "").strip()
    if len(reason) < MIN_REASON:
        raise InvalidRequest(
            "reason_required",
            f"say why you need to see them (at least {MIN_REASON} characters)",
            hint="the reason is kept with the audit entry of this reveal",
        )

    def read() -> dict[str, Any]:
        with engine.connect() as conn:
            row = iq.suggestion_row(conn, suggestion_id)
            if row is None or row["status"] != "open":
                raise NotFound("suggestion_not_found", "no open suggestion with that id")
            found = iq.with_sides(conn, row)
        detail = {"suggestion_id": suggestion_id, "reason": reason[:500], "by": "desk"}
        for side in ("customer", "candidate"):
            record_read(engine, actor, "suggestion.revealed", found[side]["id"], detail)
        return found

    found = await run_in_threadpool(read)
    return render("suggestion_review.html", s=found, revealed=True, may_reveal=False, decided=None)


@router.post("/suggestions/{suggestion_id}/answer")
async def answer(
    suggestion_id: str, request: Request, engine: EngineDep, actor: DeskActor
) -> HTMLResponse:
    require_on_desk(actor, Permission.ANSWER_SUGGESTIONS)
    form = await desk_form(request)
    given = form.get("answer", "")
    if given not in ANSWERS:
        raise InvalidRequest("invalid_answer", "the customer's answer is 'yes' or 'no'")
    found = await run_in_threadpool(answer_suggestion, engine, suggestion_id, actor, given)
    return render("suggestion_answer.html", answer=found["customer_answer"])
