"""Chatwoot's "dashboard app": a URL Chatwoot shows in a panel beside each conversation,
telling it which conversation and contact are open by ``postMessage``. Set it to
``https://<warmline>/desk/apps/chatwoot/<account>``: the agent signs in to the desk in
that panel once; each conversation then opens its contact's card through a single-use
embed link read as that agent."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from warmline.actions.embed_links import issue_link
from warmline.errors import NotFound
from warmline.serving.deps import EngineDep, SettingsDep
from warmline.serving.responses import json_response
from warmline.storage import queries
from warmline.web.pages import DeskActor, desk_form, render

router = APIRouter(prefix="/desk/apps", include_in_schema=False)


@router.get("/chatwoot/{account}")
def chatwoot_panel(account: str, settings: SettingsDep, actor: DeskActor) -> HTMLResponse:
    return render(
        "chatwoot_app.html",
        account=account[:100],
        agent=actor,
        origins=" ".join(settings.desk_embed_origins.split()),
    )


@router.post("/chatwoot/{account}/card")
async def chatwoot_card(
    account: str, request: Request, engine: EngineDep, settings: SettingsDep, actor: DeskActor
) -> Response:
    """An embed link for the conversation Chatwoot has open (or, before Warmline has heard
    of the conversation, for its contact)."""
    form = await desk_form(request)
    conversation = form.get("conversation_id", "")[:40]
    contact = form.get("contact_id", "")[:40]

    def link() -> str:
        interaction = f"chatwoot:{account[:100]}:conversation:{conversation}"
        with engine.connect() as conn:
            known = conversation and queries.interaction_row(conn, interaction) is not None
            holders = queries.customers_by_identifier(
                conn, "chatwoot_contact", f"{account[:100]}:{contact}"
            )
        if known:
            issued = issue_link(
                engine, actor, interaction_id=interaction, seconds=settings.embed_link_seconds
            )
        elif contact and holders:
            issued = issue_link(
                engine, actor, customer_id=holders[0], seconds=settings.embed_link_seconds
            )
        else:
            raise NotFound(
                "chatwoot_contact_unknown",
                "Warmline has not heard of this conversation or its contact yet",
                hint="check the Chatwoot connector's webhook (warmline connectors list)",
            )
        return f"/embed/card/{issued.token}"

    return json_response({"url": await run_in_threadpool(link)})
