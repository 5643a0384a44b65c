"""Knowledge on the desk: search articles, read one beside the card, say whether a
suggested one helped; for supervisors, the questions no article answers and drafts
from the conversations that answered them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from warmline.actions.audit import record_read
from warmline.actions.knowledge import draft_article, record_feedback
from warmline.domain.access.roles import Permission, allows
from warmline.domain.knowledge.search import MAX_QUERY_CHARS
from warmline.errors import InvalidRequest, NotFound
from warmline.serving.deps import EngineDep
from warmline.serving.knowledge import find_articles, hit_json
from warmline.serving.knowledge_gaps import knowledge_gaps
from warmline.storage import knowledge_queries as kq
from warmline.web.pages import DeskActor, desk_form, render, require_on_desk

router = APIRouter(prefix="/desk", include_in_schema=False)


@router.get("/knowledge")
def knowledge_page(
    engine: EngineDep,
    actor: DeskActor,
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)] = "",
) -> HTMLResponse:
    require_on_desk(actor, Permission.READ_ARTICLES)
    hits: list[dict[str, Any]] = []
    if q.strip():
        with engine.connect() as conn:
            hits = [hit_json(h) for h in find_articles(conn, q)]
    return render(
        "knowledge.html",
        actor=actor,
        q=q,
        hits=hits,
        may_manage=allows(actor.role, Permission.MANAGE_ARTICLES),
    )


@router.get("/articles/{article_id}")
def article(article_id: str, request: Request, engine: EngineDep, actor: DeskActor) -> HTMLResponse:
    """One article: beside the card (a fragment for the desk's script), or as a page."""
    require_on_desk(actor, Permission.READ_ARTICLES)
    with engine.connect() as conn:
        found = kq.article(conn, article_id)
    if found is None or (
        found["status"] == "draft" and not allows(actor.role, Permission.MANAGE_ARTICLES)
    ):
        raise NotFound("article_not_found", "no such article")
    fragment = request.headers.get("x-desk-fragment") == "1"
    return render("article.html" if fragment else "article_page.html", article=found, actor=actor)


@router.post("/articles/{article_id}/feedback")
async def feedback(
    article_id: str, request: Request, engine: EngineDep, actor: DeskActor
) -> HTMLResponse:
    require_on_desk(actor, Permission.READ_ARTICLES)
    form = await desk_form(request)
    reason = form.get("reason", "").strip()[:200]
    if not reason or form.get("helped") not in ("yes", "no"):
        raise InvalidRequest("invalid_feedback", "say for which reason, and whether it helped")
    helped = form["helped"] == "yes"
    interaction = form.get("interaction_id") or None
    await run_in_threadpool(
        lambda: record_feedback(
            engine, actor, article_id, reason=reason, helped=helped, interaction_id=interaction
        )
    )
    return render("article_feedback.html", helped=helped)


@router.get("/knowledge/gaps")
def gaps_page(engine: EngineDep, actor: DeskActor) -> HTMLResponse:
    require_on_desk(actor, Permission.MANAGE_ARTICLES)
    with engine.connect() as conn:
        gaps = knowledge_gaps(conn)
        drafts = kq.articles(conn, status="draft", limit=50)
    record_read(engine, actor, "knowledge.gaps_viewed", None, {"clusters": len(gaps)})
    return render("knowledge_gaps.html", actor=actor, gaps=gaps, drafts=drafts)


@router.post("/knowledge/drafts")
async def draft(request: Request, engine: EngineDep, actor: DeskActor) -> HTMLResponse:
    require_on_desk(actor, Permission.MANAGE_ARTICLES)
    form = await desk_form(request)
    interaction = form.get("interaction_id", "").strip()[:200]
    if not interaction:
        raise InvalidRequest("invalid_draft", "name the resolved conversation to draft from")
    saved = await run_in_threadpool(draft_article, engine, actor, interaction)
    return render("draft_made.html", slug=saved.slug, article_id=saved.article_id)
