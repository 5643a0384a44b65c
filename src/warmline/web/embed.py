"""The embedded card: opened by a single-use embed link inside another agent desktop's
frame, read as the link's agent (audited), with the agent's actions (mark the reason,
hand over) posted back by the frame with its embed session and told to the desktop by
``postMessage``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from warmline.actions.contact_reasons import record_reason
from warmline.actions.embed_links import EmbedSession, open_link, session_of
from warmline.actions.handovers import hand_over
from warmline.actions.note_rewrite import llm_endpoint
from warmline.domain.access.roles import Permission, allows
from warmline.domain.handover.note import MAX_REMARK_CHARS
from warmline.errors import Forbidden, InvalidRequest, NotFound, Unauthenticated, WarmlineError
from warmline.serving.access import access_customer
from warmline.serving.bodies import read_bounded
from warmline.serving.cards import card_context, read_card
from warmline.serving.deps import EngineDep, SettingsDep
from warmline.serving.responses import json_response
from warmline.storage import queries
from warmline.web.pages import render

router = APIRouter(prefix="/embed", include_in_schema=False)


@router.get("/card/{token}")
async def embedded_card(token: str, engine: EngineDep, settings: SettingsDep) -> HTMLResponse:
    """The card, once: a second opening of the same link is refused (410)."""

    def show() -> HTMLResponse:
        session, session_token = open_link(
            engine, token[:200], session_minutes=settings.embed_session_minutes
        )
        with engine.connect() as conn:
            interaction = (
                queries.interaction_row(conn, session.interaction_id)
                if session.interaction_id
                else None
            )
            ctx = card_context(
                settings,
                channel=interaction["channel"] if interaction else None,
                interaction_id=session.interaction_id,
            )
            card = read_card(
                conn,
                engine,
                session.agent,
                session.customer_id,
                ctx,
                via="embed",
                embed_link_id=session.link_id,
            )
        return render(
            "embed.html",
            card=card,
            channel=ctx.channel,
            handover=None,
            contact=None,
            visit=None,
            session_token=session_token,
            interaction=interaction,
            agent=session.agent,
            may_hand_over=allows(session.agent.role, Permission.HAND_OVER),
            origins=orjson.dumps(settings.desk_embed_origins.split()).decode(),
            until=session.expires_at,
        )

    try:
        return await run_in_threadpool(show)
    except WarmlineError as exc:
        return render("embed_error.html", status=exc.status, error=exc)


def _session(engine: Any, request: Request, token: str) -> EmbedSession:
    session = session_of(engine, token[:200])
    if session is None:
        raise Unauthenticated(
            "embed_session_expired",
            "this embedded card has expired or its agent's key was revoked",
            hint="reload the panel: the agent desktop asks for a new link",
        )
    # A header a cross-site form cannot set: the request came from the card's own script.
    if request.headers.get("x-embed") != "1":
        raise InvalidRequest("not_from_the_card", "card actions come from the embedded card itself")
    return session


async def _form(request: Request) -> dict[str, str]:
    form = parse_qs((await read_bounded(request, 4096)).decode(errors="replace"))
    return {key: values[0] for key, values in form.items()}


def _its_interaction(session: EmbedSession) -> str:
    if session.interaction_id is None:
        raise InvalidRequest(
            "no_conversation",
            "this card was opened for a customer, not a conversation",
            hint="ask for the link with the conversation's interaction_id",
        )
    return session.interaction_id


@router.post("/{token}/reason")
async def mark_reason(
    token: str, request: Request, engine: EngineDep, settings: SettingsDep
) -> Response:
    session = _session(engine, request, token)
    reason = (await _form(request)).get("reason", "")
    interaction_id = _its_interaction(session)
    kept = await run_in_threadpool(
        record_reason,
        engine,
        session.agent,
        interaction_id,
        reason,
        region=settings.default_region,
    )
    return json_response({"interaction_id": interaction_id, "reason": kept})


@router.post("/{token}/handover")
async def send_handover(
    token: str, request: Request, engine: EngineDep, settings: SettingsDep
) -> Response:
    session = _session(engine, request, token)
    if not allows(session.agent.role, Permission.HAND_OVER):
        raise Forbidden("forbidden", f"a '{session.agent.role}' key may not hand over")
    form = await _form(request)
    to = form.get("to", "").strip()[:200]
    if not to:
        raise InvalidRequest("invalid_handover", "say who takes over: an agent's name or a queue")
    to_queue = form.get("to_kind") == "queue"
    remark = form.get("remark", "").strip()[:MAX_REMARK_CHARS] or None
    interaction_id = _its_interaction(session)

    def send() -> dict[str, Any]:
        with engine.connect() as conn:
            access_customer(
                conn, engine, session.agent, session.customer_id, "handover.sent", via="embed"
            )
        return hand_over(
            engine,
            session.agent,
            interaction_id,
            to_agent=None if to_queue else to,
            to_queue=to if to_queue else None,
            remark=remark,
            llm=llm_endpoint(settings),
            region=settings.default_region,
        )

    sent = await run_in_threadpool(send)
    return json_response(
        {
            "handover_id": sent["id"],
            "interaction_id": interaction_id,
            "to": to,
            "to_queue": to_queue,
        },
        201,
    )


@router.get("/{token}/conversation/{interaction_id}")
def conversation(
    token: str, interaction_id: str, request: Request, engine: EngineDep
) -> HTMLResponse:
    """A conversation of the card's customer (the card's own links open it here)."""
    session = _session(engine, request, token)
    with engine.connect() as conn:
        found = queries.interaction_with_messages(conn, interaction_id)
        live = queries.live_customer_id(conn, found["customer_id"]) if found else None
        if (
            found is None
            or live is None
            or live != queries.live_customer_id(conn, session.customer_id)
        ):
            raise NotFound("interaction_not_found", "no such conversation of this customer")
        access_customer(conn, engine, session.agent, live, "conversation.viewed", via="embed")
    return render("conversation.html", interaction=found)
