"""Knowledge articles: write, read, change (every version kept), retire, search, feedback
on suggestions, drafts from conversations, and the questions no article answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from warmline.actions.audit import record_read
from warmline.actions.knowledge import (
    draft_article,
    record_feedback,
    retire_article,
    save_article,
)
from warmline.domain.access.roles import Actor, Permission
from warmline.domain.knowledge.articles import ArticleError, article_from
from warmline.domain.knowledge.search import MAX_QUERY_CHARS, Filters
from warmline.errors import Conflict, InvalidRequest, NotFound
from warmline.serving.deps import EngineDep, require
from warmline.serving.knowledge import find_articles, hit_json
from warmline.serving.knowledge_gaps import knowledge_gaps
from warmline.serving.responses import json_response
from warmline.storage import knowledge_queries as kq

router = APIRouter(tags=["knowledge"])
Reader = Annotated[Actor, Depends(require(Permission.READ_ARTICLES))]
Manager = Annotated[Actor, Depends(require(Permission.MANAGE_ARTICLES))]
Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class ArticleIn(BaseModel):
    """An article: its words (Markdown) and what it is for."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    body: Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
    slug: Annotated[str, StringConstraints(max_length=120)] | None = None
    products: Annotated[list[Word], Field(max_length=30)] = Field(default_factory=list)
    channels: Annotated[list[Word], Field(max_length=30)] = Field(default_factory=list)
    owner: Annotated[str, StringConstraints(max_length=200)] | None = None
    review_date: dt.date | None = None
    audience: Literal["internal", "public"] = "internal"
    status: Literal["published", "draft"] = "published"


class FeedbackIn(BaseModel):
    """Whether an article suggested for a reason helped the agent with the customer."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    helped: bool
    interaction_id: Annotated[str, StringConstraints(max_length=200)] | None = None


class DraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    interaction_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _article(body: ArticleIn) -> Any:
    meta = body.model_dump(exclude={"body", "status"}, exclude_none=True)
    try:
        return article_from(meta, body.body)
    except ArticleError as exc:
        raise InvalidRequest(
            "invalid_article",
            str(exc),
            hint="fix the fields named; the article was not stored",
            extra={"errors": [{"field": f, "reason": r} for f, r in exc.problems]},
        ) from None


def _saved(engine: Any, ref: str) -> dict[str, Any]:
    with engine.connect() as conn:
        found = kq.article(conn, ref)
    assert found is not None
    found.pop("content_hash", None)
    return found


@router.post("/v1/articles", summary="Write an article", status_code=201)
async def post_article(body: ArticleIn, engine: EngineDep, actor: Manager) -> Response:
    """Stored as version 1 (409 ``article_exists`` if its slug is taken: change that one
    with PUT)."""
    article = _article(body)

    def create() -> dict[str, Any]:
        with engine.connect() as conn:
            if kq.article(conn, article.slug) is not None:
                raise Conflict(
                    "article_exists",
                    f"an article with the slug '{article.slug}' exists",
                    hint="change it with PUT /v1/articles/{id}, or give this one another slug",
                )
        saved = save_article(engine, actor, article, status=body.status)
        return _saved(engine, saved.article_id)

    return json_response(await run_in_threadpool(create), 201)


@router.get("/v1/articles", summary="Articles by title")
def list_articles(
    engine: EngineDep,
    actor: Reader,
    status: Literal["published", "draft", "retired"] | None = "published",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    with engine.connect() as conn:
        found = kq.articles(conn, status=status, limit=limit, offset=offset)
    return json_response({"articles": found})


@router.get("/v1/articles/search", summary="Search articles by words and meaning")
def search_articles(
    engine: EngineDep,
    actor: Reader,
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)] = "",
    product: Annotated[str | None, Query(max_length=80)] = None,
    channel: Annotated[str | None, Query(max_length=80)] = None,
    audience: Literal["internal", "public"] | None = None,
    reason: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    """Full text (BM25) and meaning (sentence embeddings) fused; ``reason`` lets what
    agents said helped for it move the ranking. Each hit says why it was found."""
    if not q.strip():
        raise InvalidRequest("empty_query", "the search is empty", hint="send ?q=<words>")
    filters = Filters(product=product, channel=channel, audience=audience)
    with engine.connect() as conn:
        hits = find_articles(conn, q, filters=filters, reason=reason, limit=limit)
    return json_response({"articles": [hit_json(h) for h in hits]})


@router.get("/v1/articles/{article_id}", summary="An article")
def get_article(article_id: str, engine: EngineDep, actor: Reader) -> Response:
    """By id or slug, with its versions, newest first."""
    with engine.connect() as conn:
        found = kq.article(conn, article_id)
        if found is None:
            raise NotFound("article_not_found", f"no article '{article_id[:60]}'")
        found.pop("content_hash", None)
        found["versions"] = kq.versions(conn, found["id"])
    return json_response(found)


@router.put("/v1/articles/{article_id}", summary="Change an article (a new version)")
async def put_article(
    article_id: str, body: ArticleIn, engine: EngineDep, actor: Manager
) -> Response:
    """The version before is kept; saving what is there already changes nothing."""
    article = _article(body)
    saved = await run_in_threadpool(
        save_article, engine, actor, article, article_id=article_id, status=body.status
    )
    return json_response({**_saved(engine, saved.article_id), "outcome": saved.outcome})


@router.post("/v1/articles/{article_id}/retire", summary="Retire an article")
async def post_retire(article_id: str, engine: EngineDep, actor: Manager) -> Response:
    """Out of search and suggestions from now on; its versions stay (410 if retired)."""
    retired = await run_in_threadpool(retire_article, engine, actor, article_id)
    retired.pop("content_hash", None)
    return json_response(retired)


@router.post(
    "/v1/articles/{article_id}/feedback", summary="Say whether a suggestion helped", status_code=201
)
async def post_feedback(
    article_id: str, body: FeedbackIn, engine: EngineDep, actor: Reader
) -> Response:
    """It moves the article up or down for that reason (410 if the article was retired)."""
    row = await run_in_threadpool(
        lambda: record_feedback(
            engine,
            actor,
            article_id,
            reason=body.reason,
            helped=body.helped,
            interaction_id=body.interaction_id,
        )
    )
    return json_response(row, 201)


@router.post("/v1/articles/drafts", summary="Draft an article from a resolved conversation")
async def post_draft(body: DraftIn, engine: EngineDep, actor: Manager) -> Response:
    """A draft from the agent's answers (never suggested until it is published)."""
    saved = await run_in_threadpool(draft_article, engine, actor, body.interaction_id)
    return json_response(_saved(engine, saved.article_id), 201)


@router.get("/v1/knowledge/gaps", summary="Questions no article answers well")
def get_gaps(
    engine: EngineDep,
    actor: Manager,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    """Customers' questions clustered, the clusters ranked by volume and trend, each with
    quotes, the reasons it touches and how often those contacts were resolved."""
    with engine.connect() as conn:
        gaps = knowledge_gaps(conn, days=days, limit=limit)
    record_read(engine, actor, "knowledge.gaps_viewed", None, {"clusters": len(gaps)})
    return json_response({"gaps": gaps})
