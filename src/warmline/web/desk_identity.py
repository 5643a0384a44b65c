"""Desk pages for identity: the supervisors' review of possible duplicates, and the agent
recording the customer's answer to "is this also you?" from the card (each a desk form
post, see :func:`warmline.web.pages.desk_form`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from warmline.actions.audit import record_read
from warmline.actions.merges import approve_suggestion
from warmline.actions.suggestions import ANSWERS, answer_suggestion, reject_suggestion
from warmline.domain.access.roles import Permission
from warmline.errors import InvalidRequest
from warmline.serving.access import seen_by
from warmline.serving.deps import EngineDep
from warmline.storage import identity_queries as iq
from warmline.web.pages import DeskActor, desk_form, render, require_on_desk

router = APIRouter(prefix="/desk", include_in_schema=False)
REVIEW_PAGE = 30


@router.get("/identity")
def review_page(engine: EngineDep, actor: DeskActor) -> HTMLResponse:
    require_on_desk(actor, Permission.MERGE_CUSTOMERS)
    with engine.connect() as conn:
        found = iq.open_suggestions(conn, limit=REVIEW_PAGE)
    record_read(engine, actor, "suggestions.viewed", None, {"count": len(found), "by": "desk"})
    suggestions = [seen_by(actor, s) for s in found]
    return render(
        "identity.html", actor=actor, suggestions=suggestions, decided=None, merge_id=None
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
