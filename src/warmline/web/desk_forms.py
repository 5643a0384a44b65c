"""The card's forms: a signed link for the customer to confirm a form themselves."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from warmline.domain.access.roles import Permission
from warmline.serving.deps import EngineDep, SettingsDep
from warmline.serving.prefill import send_form_link
from warmline.web.pages import DeskActor, desk_form, render, require_on_desk

router = APIRouter(prefix="/desk", include_in_schema=False)


@router.post("/customers/{customer_id}/forms/{form}/link")
async def make_link(
    customer_id: str,
    form: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    actor: DeskActor,
) -> HTMLResponse:
    """The link, to paste into the chat, email or SMS; the verification of the contact at
    hand travels with it, so a verified customer may change sensitive details."""
    require_on_desk(actor, Permission.SEND_FORM_LINKS)
    fields = await desk_form(request)
    interaction = fields.get("interaction_id", "").strip()[:200] or None
    link = await run_in_threadpool(
        lambda: send_form_link(
            engine,
            actor,
            settings,
            str(request.base_url),
            customer_id,
            form,
            interaction_id=interaction,
        )
    )
    return render("form_link_made.html", link=link)
