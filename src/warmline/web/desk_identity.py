"""Desk pages for identity: the supervisors' review of possible duplicates, and the agent
recording the customer's answer to "is this also you?" from the card.

Every change is a POST that must carry the ``X-Desk-Fragment`` header: a cross-site form
cannot set it, so an embedded desk (whose cookie is ``SameSite=None``) is not open to
cross-site request forgery.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from warmline.actions.audit import record_read
from warmline.actions.merges import approve_suggestion
from warmline.actions.suggestions import ANSWERS, answer_suggestion, reject_suggestion
from warmline.api.events import read_bounded
from warmline.api.merges import seen_by
from warmline.domain.access.roles import Actor, Permission, allows
from warmline.errors import Forbidden, InvalidRequest
from warmline.serving.deps import EngineDep
from warmline.storage import identity_queries as iq
from warmline.web.desk import DeskActor, render

router = APIRouter(prefix="/desk", include_in_schema=False)
REVIEW_PAGE = 30


def require_on_desk(actor: Actor, permission: Permission) -> None:
    """Refuse (403) a desk action the signed-in key's role may not take."""
    if not allows(actor.role, permission):
        raise Forbidden(
            "forbidden",
            f"a desk signed in as '{actor.role}' may not do this",
            hint="ask someone whose key has that right (a supervisor reviews duplicates)",
        )


async def desk_form(request: Request) -> dict[str, str]:
    """The fields of a desk POST; refused unless it carries the desk's own header."""
    if request.headers.get("x-desk-fragment") != "1":
        raise InvalidRequest(
            "not_from_the_desk", "desk changes come from the desk page itself", hint="reload it"
        )
    form = parse_qs((await read_bounded(request, 4096)).decode(errors="replace"))
    return {key: values[0] for key, values in form.items()}


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
