"""The desk at a branch counter: where the staff member sits, the queue there, "call next"
or a named ticket (the card pops on this desk over its live stream, as a call does), and
the visit's end: finished with an outcome, a no-show, or a guest linked to the customer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool

from warmline.actions.audit import record_read
from warmline.actions.branch_setup import branch_or_404, leave, sit_at
from warmline.actions.calls import call
from warmline.actions.visits import finish_visit, link_guest, record_no_show, visit_or_404
from warmline.config import Settings
from warmline.domain.access.roles import Actor, Permission
from warmline.domain.branch.tickets import CALLED, WAITING, visit_item
from warmline.errors import InvalidRequest, NotFound
from warmline.serving.branch_queue import queue_view
from warmline.serving.deps import EngineDep, SettingsDep
from warmline.serving.search import search_customers
from warmline.storage import branch_queries as bq
from warmline.storage import queries
from warmline.web.pages import DeskActor, desk_form, render, require_on_desk

router = APIRouter(prefix="/desk", include_in_schema=False)


def branch_bar(engine: Engine, settings: Settings, actor: Actor) -> dict[str, Any] | None:
    """What the desk's branch bar shows (None for a desk with no branch): where its holder
    sits and the queue there, or where they may sit."""
    with engine.connect() as conn:
        sitting = bq.sitting_of(conn, actor.name)
        branches = bq.branches_of_staff(conn, actor.name)
        at_counter = bq.at_counter(conn, actor.name)
    if not branches and sitting is None:
        return None
    choices = [
        (f"{b.code}/{p.code}", f"{b.name} · {p.name}") for b in branches for p in b.service_points
    ]
    bar: dict[str, Any] = {
        "choices": choices,
        "sitting": None,
        "queue": None,
        "at_counter": at_counter,
    }
    if sitting is None:
        return bar
    branch = branch_or_404(engine, sitting["branch"])
    point = branch.point(sitting["service_point"])
    if point is None:  # taken out of the branch since: sit somewhere else
        return bar
    queue = queue_view(engine, settings, branch)
    mine = [t for t in queue["tickets"] if t["service"] in point.services]
    bar.update(
        sitting={"at": f"{branch.code}/{point.code}", "branch": branch.name, "point": point.name},
        queue={
            "tickets": mine,
            "services": [s for s in queue["services"] if s["code"] in point.services],
        },
    )
    return bar


def visit_for_push(conn: Connection, push: dict[str, Any]) -> dict[str, Any] | None:
    """The branch visit a desk push is about (a call, an arrival), as the card shows it."""
    visit_id = push["detail"].get("visit_id")
    if not visit_id:
        return None
    # A call's push names the visit's contact: one read finds the visit with its names.
    contact = push["interaction_id"]
    found = bq.visits_by_interaction(conn, [contact]).get(contact) if contact else None
    if found is None or found["id"] != visit_id:
        found = bq.visit(conn, visit_id)
        if found is None:
            return None
        if found["interaction_id"]:
            found = bq.visits_by_interaction(conn, [found["interaction_id"]]).get(
                found["interaction_id"], found
            )
    item = visit_item(found, dt.datetime.now(dt.UTC))
    appointment = bq.appointment(conn, found["appointment_id"]) if found["appointment_id"] else None
    return {
        **item,
        "at_counter": found["status"] == CALLED,
        "waiting": found["status"] == WAITING,
        "candidates": push["detail"].get("candidates", []),
        "appointment_at": appointment["starts_at"] if appointment else None,
    }


def _bar(engine: Engine, settings: Settings, actor: Actor) -> HTMLResponse:
    return render("branch_bar.html", bar=branch_bar(engine, settings, actor))


@router.get("/branch/bar")
def bar(engine: EngineDep, settings: SettingsDep, actor: DeskActor) -> HTMLResponse:
    return _bar(engine, settings, actor)


@router.post("/branch/sit")
async def sit(
    request: Request, engine: EngineDep, settings: SettingsDep, actor: DeskActor
) -> HTMLResponse:
    require_on_desk(actor, Permission.SERVE_VISITS)
    form = await desk_form(request)
    code, _, point = form.get("at", "").partition("/")

    def sitting() -> HTMLResponse:  # on a worker thread, as every read and write here
        sit_at(engine, actor, branch_or_404(engine, code[:40]), point[:40])
        return _bar(engine, settings, actor)

    return await run_in_threadpool(sitting)


@router.post("/branch/leave")
async def leave_point(
    request: Request, engine: EngineDep, settings: SettingsDep, actor: DeskActor
) -> HTMLResponse:
    await desk_form(request)
    await run_in_threadpool(leave, engine, actor.name)
    return await run_in_threadpool(_bar, engine, settings, actor)


@router.post("/branch/call", status_code=204)
async def call_ticket(
    request: Request, engine: EngineDep, settings: SettingsDep, actor: DeskActor
) -> Response:
    """Call next (or the ticket typed): the card arrives on this desk by its live stream,
    and the page refreshes the queue when it does (so the answer is empty: the queue is
    not rendered twice, nor while the stream renders the card)."""
    require_on_desk(actor, Permission.SERVE_VISITS)
    form = await desk_form(request)

    def calling() -> None:  # on a worker thread: the event loop carries the live streams
        with engine.connect() as conn:
            sitting = bq.sitting_of(conn, actor.name)
            branch = bq.branch(conn, sitting["branch"]) if sitting else None
        if sitting is None:
            raise InvalidRequest(
                "not_sitting", "sit at a service point first", hint="choose where you sit, above"
            )
        call(
            engine,
            actor,
            branch or branch_or_404(engine, sitting["branch"]),  # (that says it is gone)
            sitting["service_point"],
            ticket=form.get("ticket", "").strip()[:12] or None,
            region=settings.default_region,
            continuity=dt.timedelta(minutes=settings.continuity_minutes),
        )

    await run_in_threadpool(calling)
    return Response(status_code=204)


@router.post("/visits/{visit_id}/finish")
async def finish(
    visit_id: str, request: Request, engine: EngineDep, settings: SettingsDep, actor: DeskActor
) -> HTMLResponse:
    require_on_desk(actor, Permission.SERVE_VISITS)
    form = await desk_form(request)
    visit = await run_in_threadpool(
        lambda: finish_visit(
            engine,
            actor,
            visit_id,
            outcome=form.get("outcome", "")[:20],
            summary=form.get("summary", "")[:2000],
            region=settings.default_region,
        )
    )
    return render("visit_done.html", visit=visit, said="finished")


@router.post("/visits/{visit_id}/no-show")
async def no_show(
    visit_id: str, request: Request, engine: EngineDep, settings: SettingsDep, actor: DeskActor
) -> HTMLResponse:
    require_on_desk(actor, Permission.SERVE_VISITS)
    await desk_form(request)
    visit = await run_in_threadpool(
        lambda: record_no_show(engine, actor, visit_id, region=settings.default_region)
    )
    return render("visit_done.html", visit=visit, said="recorded as a no-show")


@router.post("/visits/{visit_id}/link")
async def link(
    visit_id: str, request: Request, engine: EngineDep, settings: SettingsDep, actor: DeskActor
) -> HTMLResponse:
    """Link a guest's visit to a customer: one of the candidates shown, or the one holding
    the email, phone or account number typed (the look-up is audited like a search)."""
    require_on_desk(actor, Permission.SERVE_VISITS)
    form = await desk_form(request)
    customer_id = form.get("customer_id", "")[:60]
    if not customer_id:
        customer_id = await run_in_threadpool(
            _holder, engine, actor, form.get("identifier", "")[:200], settings.default_region
        )

    def linking() -> HTMLResponse:  # on a worker thread, as every read and write here
        visit = visit_or_404(engine, visit_id)
        merge = link_guest(engine, actor, visit_id, customer_id)
        with engine.connect() as conn:
            found = queries.customer_summaries(conn, [merge["into_id"]])
        name = found[0]["name"] if found and found[0]["name"] else "the customer"
        return render("visit_done.html", visit=visit, said=f"linked to {name}")

    return await run_in_threadpool(linking)


def _holder(engine: Engine, actor: Actor, typed: str, region: str) -> str:
    with engine.connect() as conn:
        page = search_customers(conn, typed, region=region, limit=2)
    found = [r for r in page.results if r["matched_by"] == "identifier"]
    record_read(engine, actor, "customers.search", None, {"by": "desk.link", "hits": len(found)})
    if len(found) != 1:
        raise NotFound(
            "customer_not_found" if not found else "identifier_shared",
            "no customer holds that" if not found else "several customers hold that",
            hint="type their email address, mobile number or account number in full",
        )
    return str(found[0]["id"])
