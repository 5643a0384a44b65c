"""POST /v1/embed-links: a short-lived, single-use URL that shows a card inside another
agent desktop."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from warmline.actions.embed_links import issue_link
from warmline.domain.access.roles import Actor, Permission
from warmline.serving.deps import EngineDep, SettingsDep, require
from warmline.serving.responses import json_response

router = APIRouter(tags=["embedding"])
Ref = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class EmbedLinkIn(BaseModel):
    """Whose card, and which agent reads it."""

    model_config = ConfigDict(extra="forbid")

    customer_id: Ref | None = None
    interaction_id: Ref | None = Field(
        None, description="A conversation (your id or Warmline's): its customer's card, live."
    )
    agent: Ref | None = Field(
        None,
        description="The agent's desk key name (integrator and admin keys); default: the "
        "asking key.",
    )


@router.post("/v1/embed-links", summary="A link that shows a card in a frame", status_code=201)
async def post_embed_link(
    body: EmbedLinkIn,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    actor: Annotated[Actor, Depends(require(Permission.EMBED_CARDS))],
) -> Response:
    """A URL to put in an iframe of another agent desktop: it opens the card of the
    customer (or of the conversation's customer) read as ``agent``, audited as that agent.
    It works once and for ``WARMLINE_EMBED_LINK_SECONDS``; frames are allowed only on the
    origins in ``WARMLINE_DESK_EMBED_ORIGINS``."""
    issued = await run_in_threadpool(
        issue_link,
        engine,
        actor,
        customer_id=body.customer_id,
        interaction_id=body.interaction_id,
        agent=body.agent,
        seconds=settings.embed_link_seconds,
    )
    base = str(request.base_url).rstrip("/")
    return json_response(
        {
            "id": issued.id,
            "url": f"{base}/embed/card/{issued.token}",
            "expires_at": issued.expires_at.isoformat(),
            "customer_id": issued.customer_id,
            "interaction_id": issued.interaction_id,
            "agent": issued.agent,
        },
        201,
    )
