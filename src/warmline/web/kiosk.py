"""The branch floor: the check-in kiosk and the waiting-room screen.

Both are shared screens in a public place. A member of staff signs each device in once
with a kiosk key (a session cookie for ``/branch`` only, hashed at rest like the desk's);
the kiosk then shows a customer nothing beyond their first name and their ticket, and the
screen shows ticket numbers and counters, nothing about anyone.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from warmline.actions.branch_setup import branch_or_404
from warmline.actions.checkin import ByAppointment, ByCode, ByPhone, Proof
from warmline.actions.desk_sessions import session_actor, sign_out
from warmline.domain.access.roles import Actor, Permission, allows
from warmline.domain.branch import phone_code
from warmline.serving.branch_queue import screen_view
from warmline.serving.checkins import checkin, phone_number, send_code, sms_sender
from warmline.serving.deps import EngineDep, SettingsDep
from warmline.storage import branch_queries as bq
from warmline.storage.live import screen_topic
from warmline.web.pages import (
    KioskSignedOut,
    SignInPage,
    desk_form,
    render,
    sign_in_with_key,
    templates,
)
from warmline.web.sse import Read, frame, live_stream

COOKIE = "wl_kiosk"

router = APIRouter(prefix="/branch", include_in_schema=False)
KIOSK_SIGN_IN = SignInPage(
    template="kiosk_sign_in.html",
    permission=Permission.CHECK_IN,
    not_for_it="That key is not for a kiosk: create one with `warmline keys create --role kiosk`.",
    landing="/branch",
    cookie=COOKIE,
    path="/branch",
)


def kiosk_actor(request: Request, engine: EngineDep) -> Actor:
    token = request.cookies.get(COOKIE)
    actor = session_actor(engine, token) if token else None
    if actor is None or not allows(actor.role, Permission.CHECK_IN):
        raise KioskSignedOut()
    return actor


KioskActor = Annotated[Actor, Depends(kiosk_actor)]


@router.get("/sign-in")
def sign_in_page(error: str = "") -> HTMLResponse:
    return render("kiosk_sign_in.html", error=error[:200])


@router.post("/sign-in")
async def sign_in_submit(request: Request, engine: EngineDep) -> Response:
    return await sign_in_with_key(request, engine, KIOSK_SIGN_IN)


@router.post("/sign-out")
def sign_out_submit(request: Request, engine: EngineDep) -> Response:
    if token := request.cookies.get(COOKIE):
        sign_out(engine, token)
    response = RedirectResponse("/branch/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/branch")
    return response


@router.get("")
def branches_page(engine: EngineDep, actor: KioskActor) -> HTMLResponse:
    with engine.connect() as conn:
        branches = bq.all_branches(conn)
    return render("kiosk_branches.html", branches=branches, actor=actor)


@router.get("/{code}/kiosk")
def kiosk_page(code: str, engine: EngineDep, actor: KioskActor) -> HTMLResponse:
    return render("kiosk.html", branch=branch_or_404(engine, code), digits=phone_code.DIGITS)


@router.post("/{code}/kiosk/phone-code")
async def kiosk_phone_code(
    code: str, request: Request, engine: EngineDep, settings: SettingsDep, actor: KioskActor
) -> HTMLResponse:
    """Text a code to the number typed; the kiosk then asks for it."""
    form = await desk_form(request)
    branch = branch_or_404(engine, code)
    phone = phone_number(form.get("phone", "")[:40], settings.default_region)
    sent = await run_in_threadpool(
        send_code, engine, settings, actor, branch, phone, sms_sender(request)
    )
    return render(
        "kiosk_phone_code.html",
        phone=phone,
        sent=sent,
        digits=phone_code.DIGITS,
        service=form.get("service", "")[:40],
        reason=form.get("reason", "")[:200],
    )


@router.post("/{code}/kiosk/checkin")
async def kiosk_checkin(
    code: str, request: Request, engine: EngineDep, settings: SettingsDep, actor: KioskActor
) -> HTMLResponse:
    """Check in one of three ways; the answer is the ticket, or a problem the script shows."""
    form = await desk_form(request)
    branch = branch_or_404(engine, code)
    proof = _proof(form, settings.default_region)
    view = await run_in_threadpool(
        checkin,
        engine,
        settings,
        actor,
        branch,
        proof,
        service=form.get("service") or None,
        reason=form.get("reason") or None,
    )
    return render("kiosk_ticket.html", ticket=view, branch=branch)


def _proof(form: dict[str, str], region: str) -> Proof:
    way = form.get("way", "")
    if way == "phone":
        return ByPhone(
            phone_number(form.get("phone", "")[:40], region),
            form.get("phone_code_id", "")[:40],
            form.get("phone_code", "")[:12],
        )
    if way == "appointment":
        return ByAppointment(form.get("appointment", "")[:20])
    return ByCode(form.get("code", "")[:40])


@router.get("/{code}/screen")
def screen_page(code: str, engine: EngineDep, actor: KioskActor) -> HTMLResponse:
    branch = branch_or_404(engine, code)
    with engine.connect() as conn:
        calls = screen_view(conn, branch, dt.datetime.now(dt.UTC))
    return render("screen.html", branch=branch, calls=calls)


@router.get("/{code}/screen/stream")
async def screen_stream(
    code: str, request: Request, engine: EngineDep, actor: KioskActor
) -> StreamingResponse:
    """The called tickets, sent again whenever they change (a call or an end of a visit
    announces it)."""
    branch = branch_or_404(engine, code)
    last: list[Any] = []

    def calls() -> list[dict[str, Any]]:
        with engine.connect() as conn:
            return screen_view(conn, branch, dt.datetime.now(dt.UTC))

    async def fetch() -> Read:
        nonlocal last
        now = await run_in_threadpool(calls)
        seen = [(c["id"], c["status"], c["called_at"]) for c in now]
        if seen == last:
            return Read([])
        last = seen
        html = templates.get_template("screen_calls.html").render(calls=now)
        return Read([frame("calls", {"html": html})])

    token = request.cookies.get(COOKIE, "")

    def midnight() -> dt.datetime:  # a new day: yesterday's calls leave the screen
        local = dt.datetime.now(branch.zone)
        tomorrow = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), branch.zone)
        return tomorrow.astimezone(dt.UTC)

    return live_stream(
        request, engine, token, fetch, topics=[screen_topic(branch.code)], next_read=midnight
    )
