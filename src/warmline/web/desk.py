"""Agent desk routes: sign in with a key, live contacts by Server-Sent Events, card, timeline,
conversations and search."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from warmline.actions.audit import record_read
from warmline.actions.desk_sessions import session_actor, sign_out
from warmline.config import Settings
from warmline.domain.access.roles import Actor, Permission, allows
from warmline.domain.card.assembly import unrecognised_card
from warmline.errors import NotFound, WarmlineError
from warmline.serving.access import access_customer
from warmline.serving.cards import card_context, read_card
from warmline.serving.deps import EngineDep, SettingsDep
from warmline.serving.search import search_customers
from warmline.serving.threads import run_blocking
from warmline.serving.visits import visit_context
from warmline.storage import queries
from warmline.storage.live import desk_topic
from warmline.web.desk_branch import branch_bar, visit_for_push
from warmline.web.handover_views import handover_view, live_contact, notice_view
from warmline.web.pages import (
    COOKIE,
    DESK_SIGN_IN,
    DeskActor,
    render,
    sign_in_with_key,
    templates,
)
from warmline.web.sse import Read, frame, live_stream

SEARCH_PAGE = 20
#: Pushes read at a time (a desk back after a long absence gets them page by page).
PUSH_PAGE = 50


router = APIRouter(prefix="/desk", include_in_schema=False)


@router.get("")
def desk_page(engine: EngineDep, settings: SettingsDep, actor: DeskActor) -> HTMLResponse:
    with engine.connect() as conn:
        last = queries.latest_push_id(conn, actor.name)
        recent = queries.pushes_after(conn, actor.name, max(last - 30, 0), limit=30)
        notices = [notice_view(conn, p) for p in reversed(recent) if p["kind"] in NOTICES]
        items = [_contact_item_on(conn, p) for p in reversed(recent) if p["kind"] not in NOTICES]
    may_merge = allows(actor.role, Permission.MERGE_CUSTOMERS)
    return render(
        "desk.html",
        actor=actor,
        items=items,
        notices=notices,
        last_push=last,
        may_merge=may_merge,
        branch_bar=branch_bar(engine, settings, actor),
        may_metrics=allows(actor.role, Permission.READ_METRICS),
        may_work_risk=allows(actor.role, Permission.WORK_AT_RISK),
    )


@router.get("/ping")
def ping(actor: DeskActor) -> Response:
    """204 while the desk session is good, 401 once it is not (the script signs out then)."""
    return Response(status_code=204)


@router.get("/sign-in")
def sign_in_page(error: str = "") -> HTMLResponse:
    return render("sign_in.html", error=error[:200])


@router.post("/sign-in")
async def sign_in_submit(request: Request, engine: EngineDep, settings: SettingsDep) -> Response:
    # Embedded in another agent desktop (a cross-site frame) the cookie must be SameSite=None,
    # which browsers only accept over HTTPS, and Partitioned (CHIPS): browsers that block
    # third-party cookies still keep it, for frames under that desktop only. Standalone it
    # stays Strict.
    return await sign_in_with_key(
        request, engine, DESK_SIGN_IN, embedded=bool(settings.desk_embed_origins)
    )


@router.post("/sign-out")
def sign_out_submit(request: Request, engine: EngineDep) -> Response:
    if token := request.cookies.get(COOKIE):
        sign_out(engine, token)
    response = RedirectResponse("/desk/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/desk")
    return response


@router.get("/stream")
async def stream(
    request: Request, engine: EngineDep, settings: SettingsDep, actor: DeskActor
) -> StreamingResponse:
    """Contacts for this agent as Server-Sent Events. A reconnecting browser sends
    Last-Event-ID and gets every push it missed, so no card is lost. A contact just pushed
    brings its card (the desk opens it at once, without asking again): read as any card is,
    for the desk session's holder at that moment, and audited."""
    header = request.headers.get("last-event-id") or request.query_params.get("after") or "0"
    after = int(header) if header.isdigit() else 0
    token = request.cookies.get(COOKIE, "")

    async def fetch() -> Read:
        nonlocal after
        # One hop to a worker thread for the whole read: the pushes, their items and the
        # card (a hop costs as much as a query on this path).
        frames, after, count = await run_blocking(
            _push_frames, engine, settings, token, actor.name, after
        )
        return Read(frames, more=count == PUSH_PAGE)

    return live_stream(request, engine, token, fetch, topics=[desk_topic(actor.name)])


#: A contact pushed this recently brings its card on the stream; an older one (a desk
#: reconnecting after a while) is opened by the agent, as any in the list.
CARD_WITH_PUSH_SECONDS = 30.0


def _card_to_send(pushes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The push whose card goes with it: the newest, if it is a contact the desk opens at
    once (a call, a branch visit called) and was just pushed."""
    if not pushes or pushes[-1]["kind"] != "contact":
        return None
    at = pushes[-1]["at"]
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    age = (dt.datetime.now(dt.UTC) - at).total_seconds()
    return pushes[-1] if age <= CARD_WITH_PUSH_SECONDS else None


def _push_frames(
    engine: Any, settings: Settings, token: str, agent: str, after: int
) -> tuple[list[str], int, int]:
    """The stream events of the pushes after ``after`` (a page of them), the last push id
    sent, and how many were read."""
    # One connection for all of it (on PostgreSQL each checkout is a round trip more).
    with engine.connect() as conn:
        pushes = queries.pushes_after(conn, agent, after, limit=PUSH_PAGE)
        opened = _card_to_send(pushes)
        frames = []
        for push in pushes:
            kind, html = _push_html(conn, push)
            data: dict[str, Any] = {"push_id": push["id"], "html": html}
            card = _card_of_push(conn, engine, settings, token, push) if push is opened else None
            if card is not None:
                data["card"] = card
            frames.append(frame(kind, data, push["id"]))
            after = push["id"]
    return frames, after, len(pushes)


def _pushed_card(engine: Any, settings: Settings, token: str, push: dict[str, Any]) -> str | None:
    """The card a push brings, for whoever holds the desk session now (none once it has
    ended: the stream then says signed_out)."""
    with engine.connect() as conn:
        return _card_of_push(conn, engine, settings, token, push)


def _card_of_push(
    conn: Any, engine: Any, settings: Settings, token: str, push: dict[str, Any]
) -> str | None:
    actor = session_actor(engine, token, conn=conn)
    if actor is None or not allows(actor.role, Permission.READ_CUSTOMERS):
        return None
    context = _push_card(conn, engine, settings, actor, push)
    return templates.get_template("card.html").render(now=dt.datetime.now(dt.UTC), **context)


#: Pushes shown as notices (a handover was accepted), not as contacts to open.
NOTICES = frozenset({"handover_accepted"})


def _push_html(conn: Any, push: dict[str, Any]) -> tuple[str, str]:
    """The stream event for a push: a contact (or a handover) for the list, or a notice."""
    now = dt.datetime.now(dt.UTC)
    if push["kind"] in NOTICES:
        notice = notice_view(conn, push)
        return "notice", templates.get_template("notice.html").render(notice=notice, now=now)
    item = _contact_item_on(conn, push)
    return "contact", templates.get_template("contact_item.html").render(item=item, now=now)


def _contact_item_on(conn: Any, push: dict[str, Any]) -> dict[str, Any]:
    """What the contact list shows for a push: no audit (names only, no profile is opened)."""
    summary = queries.customer_summaries(conn, [push["customer_id"]]) if push["customer_id"] else []
    detail = push["detail"]
    recognised = bool(detail.get("recognised"))
    return {
        "push_id": push["id"],
        "channel": push["channel"],
        "at": push["at"],
        "customer_id": push["customer_id"],
        "interaction_id": push["interaction_id"],
        "recognised": recognised,
        "ambiguous": len(detail.get("candidates", [])) > 1,
        "name": (summary[0]["name"] if summary and recognised else None),
        "kind": push["kind"],
        "sender": detail.get("from"),
        "ticket": detail.get("ticket"),
        "guest": bool(detail.get("guest")),
    }


@router.get("/contact/{push_id}")
def contact_card(
    push_id: int, engine: EngineDep, settings: SettingsDep, actor: DeskActor
) -> HTMLResponse:
    with engine.connect() as conn:
        pushes = queries.pushes_after(conn, actor.name, push_id - 1, limit=1)
        if not pushes or pushes[0]["id"] != push_id:
            raise NotFound("contact_not_found", "no such contact on this desk")
        context = _push_card(conn, engine, settings, actor, pushes[0])
    return render("card.html", **context)


def _push_card(
    conn: Any, engine: Any, settings: Settings, actor: Actor, push: dict[str, Any]
) -> dict[str, Any]:
    """What card.html shows for a push to ``actor``'s desk: the customer's card (the read
    audited), or the honest card of a caller not recognised."""
    ctx = card_context(settings, channel=push["channel"], interaction_id=push["interaction_id"])
    handover, contact = None, None
    visit = visit_for_push(conn, push)
    if visit is not None:
        ctx = visit_context(settings, visit, push["interaction_id"])
    if push["detail"].get("recognised"):
        card = read_card(conn, engine, actor, push["customer_id"], ctx)
        contact = live_contact(conn, push["interaction_id"])
        if push["kind"] == "handover":
            handover = handover_view(conn, push["detail"]["handover_id"], actor)
    else:
        candidates = queries.customer_summaries(conn, push["detail"].get("candidates", []))
        card = unrecognised_card(push["channel"], [], candidates)
    return {
        "card": card,
        "channel": push["channel"],
        "handover": handover,
        "contact": contact,
        "visit": visit,
    }


@router.get("/card/{customer_id}")
def customer_card(
    customer_id: str, engine: EngineDep, settings: SettingsDep, actor: DeskActor
) -> HTMLResponse:
    with engine.connect() as conn:
        card = read_card(conn, engine, actor, customer_id, card_context(settings))
    return render("card.html", card=card, channel=None, handover=None, contact=None, visit=None)


@router.get("/timeline/{customer_id}")
def timeline(
    customer_id: str,
    engine: EngineDep,
    settings: SettingsDep,
    actor: DeskActor,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    with engine.connect() as conn:
        live = access_customer(conn, engine, actor, customer_id, "timeline.viewed")
        items, next_cursor = queries.timeline_page(conn, live, limit=25, cursor=cursor)
    return render(
        "timeline.html",
        items=items,
        next_cursor=next_cursor,
        customer_id=live,
        currency=settings.default_currency,
    )


@router.get("/conversation/{interaction_id}")
def conversation(interaction_id: str, engine: EngineDep, actor: DeskActor) -> HTMLResponse:
    with engine.connect() as conn:
        found = queries.interaction_with_messages(conn, interaction_id)
        if found is None:
            raise NotFound("interaction_not_found", "no such interaction")
        access_customer(conn, engine, actor, found["customer_id"], "conversation.viewed")
    return render("conversation.html", interaction=found)


@router.get("/search")
def search(
    engine: EngineDep,
    settings: SettingsDep,
    actor: DeskActor,
    q: Annotated[str, Query(max_length=200)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> HTMLResponse:
    q = q.strip()
    error, page = "", None
    try:
        with engine.connect() as conn:
            page = search_customers(
                conn, q, region=settings.default_region, limit=SEARCH_PAGE, offset=offset
            )
        hits = len(page.results)
        record_read(engine, actor, "customers.search", None, {"by": "desk", "hits": hits})
    except WarmlineError as exc:
        error = exc.message
    return render("search.html", q=q, page=page, error=error, page_size=SEARCH_PAGE)
