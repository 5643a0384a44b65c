"""Desk actions on a live contact: hand it over with a note, accept a handover, and type in
the continuation code a customer reads out. Each is a POST carrying the desk's header
(see :func:`warmline.web.pages.desk_form`) and answers with a rendered fragment."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from warmline.actions.handovers import accept_handover, hand_over
from warmline.actions.note_rewrite import llm_endpoint
from warmline.domain.access.roles import Permission
from warmline.domain.handover.note import MAX_REMARK_CHARS
from warmline.errors import Conflict, InvalidRequest
from warmline.serving.access import access_customer
from warmline.serving.continuations import present_code
from warmline.serving.deps import EngineDep, SettingsDep
from warmline.storage import handover_queries as hq
from warmline.storage import queries
from warmline.web.handover_views import handover_view
from warmline.web.pages import DeskActor, desk_form, render, require_on_desk

router = APIRouter(prefix="/desk", include_in_schema=False)
MAX_NAME = 200


def _name(form: dict[str, str], field: str) -> str:
    value = form.get(field, "").strip()
    if not value or len(value) > MAX_NAME:
        raise InvalidRequest("invalid_handover", "say who takes over: an agent's name or a queue")
    return value


@router.post("/interactions/{interaction_id}/handover")
async def send_handover(
    interaction_id: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    actor: DeskActor,
) -> HTMLResponse:
    require_on_desk(actor, Permission.HAND_OVER)
    form = await desk_form(request)
    to = _name(form, "to")
    to_queue = form.get("to_kind") == "queue"
    remark = form.get("remark", "").strip()[:MAX_REMARK_CHARS] or None

    def send() -> dict[str, Any] | None:
        with engine.connect() as conn:
            found = hq.interaction(conn, interaction_id)
            access_customer(conn, engine, actor, found["customer_id"], "handover.sent")
        sent = hand_over(
            engine,
            actor,
            found["id"],
            to_agent=None if to_queue else to,
            to_queue=to if to_queue else None,
            remark=remark,
            llm=llm_endpoint(settings),
            region=settings.default_region,
        )
        with engine.connect() as conn:
            return handover_view(conn, sent["id"], actor)

    handover = await run_in_threadpool(send)
    return render("handover_note.html", handover=handover, sent=True)


@router.post("/handovers/{handover_id}/accept")
async def accept(
    handover_id: str, request: Request, engine: EngineDep, actor: DeskActor
) -> HTMLResponse:
    require_on_desk(actor, Permission.HAND_OVER)
    await desk_form(request)

    def take() -> dict[str, Any] | None:
        accept_handover(engine, actor, handover_id)
        with engine.connect() as conn:
            return handover_view(conn, handover_id, actor)

    handover = await run_in_threadpool(take)
    return render("handover_note.html", handover=handover, sent=False)


@router.post("/interactions/{interaction_id}/continuation")
async def continuation(
    interaction_id: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    actor: DeskActor,
) -> HTMLResponse:
    require_on_desk(actor, Permission.PRESENT_CONTINUATIONS)
    form = await desk_form(request)
    code = form.get("code", "")[:40]

    def redeem() -> dict[str, Any]:
        with engine.connect() as conn:
            found = hq.interaction(conn, interaction_id)
            customer_id = queries.live_customer_id(conn, found["customer_id"])
        if found["status"] == "ended":
            raise Conflict("interaction_ended", "this contact has ended")
        return present_code(
            engine, actor, request, code, customer_id, found, settings.default_region
        )

    carried = await run_in_threadpool(redeem)
    return render("continuation_result.html", carried=carried)
