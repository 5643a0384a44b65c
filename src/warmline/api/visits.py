"""Branch visits at the counter, and appointments booked from any channel."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, StringConstraints
from starlette.concurrency import run_in_threadpool

from warmline.actions.appointments import book_appointment
from warmline.actions.branch_setup import branch_or_404
from warmline.actions.visits import MAX_SUMMARY_CHARS, finish_visit, link_guest, record_no_show
from warmline.domain.access.roles import Actor, Permission
from warmline.events import Channel, StorableTime
from warmline.serving.deps import EngineDep, SettingsDep, require
from warmline.serving.responses import json_response

router = APIRouter(tags=["visits"])
Ref = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Staff = Annotated[Actor, Depends(require(Permission.SERVE_VISITS))]


class FinishIn(BaseModel):
    """How the visit ended and what was done, in a line or two."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["resolved", "unresolved", "follow_up", "escalated"]
    summary: Annotated[str, StringConstraints(max_length=MAX_SUMMARY_CHARS)] | None = None


class LinkIn(BaseModel):
    """The customer a guest turned out to be."""

    model_config = ConfigDict(extra="forbid")

    customer_id: Ref


class AppointmentIn(BaseModel):
    """A branch appointment: who, where, for what service, when, and why."""

    model_config = ConfigDict(extra="forbid")

    customer_id: Ref
    branch: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    service: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    starts_at: StorableTime
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    staff: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    channel: Channel | None = None


@router.post("/v1/visits/{visit_id}/finish", summary="End a visit at the counter")
def post_finish(
    visit_id: str, body: FinishIn, engine: EngineDep, settings: SettingsDep, actor: Staff
) -> Response:
    """Records the end (``interaction.ended``: outcome and summary on the timeline, effort
    counted); ``visit_not_at_counter`` (409) unless the ticket was called."""
    visit = finish_visit(
        engine,
        actor,
        visit_id,
        outcome=body.outcome,
        summary=body.summary,
        region=settings.default_region,
    )
    return json_response({"visit_id": visit["id"], "status": visit["status"]})


@router.post("/v1/visits/{visit_id}/no-show", summary="The customer did not come when called")
def post_no_show(visit_id: str, engine: EngineDep, settings: SettingsDep, actor: Staff) -> Response:
    """A called ticket nobody came to (its contact ends, abandoned), or a waiting one whose
    customer left; ``visit_closed`` (409) once it is over."""
    visit = record_no_show(engine, actor, visit_id, region=settings.default_region)
    return json_response({"visit_id": visit["id"], "status": visit["status"]})


@router.post("/v1/visits/{visit_id}/link", summary="Link a guest's visit to a customer")
async def post_link(visit_id: str, body: LinkIn, engine: EngineDep, actor: Staff) -> Response:
    """The guest's record (made by their visit, holding the number they checked in with) is
    merged into the customer (rule ``manual``, undo it like any merge);
    ``visit_not_a_guest``, ``visit_not_at_counter`` (409)."""
    merge = await run_in_threadpool(link_guest, engine, actor, visit_id, body.customer_id)
    return json_response(
        {"visit_id": visit_id, "merge_id": merge["id"], "into_id": merge["into_id"]}
    )


@router.post("/v1/appointments", summary="Book a branch appointment", status_code=201)
async def post_appointment(
    body: AppointmentIn,
    engine: EngineDep,
    settings: SettingsDep,
    actor: Annotated[Actor, Depends(require(Permission.BOOK_APPOINTMENTS))],
) -> Response:
    """From any channel. The ``ref`` is what the customer types at the kiosk; the reason is
    on their card from now on (so staff prepare) and carried to the visit; with ``staff``,
    that person's desk is told when they arrive. ``invalid_appointment`` (400) lists each
    problem; missed appointments are recorded as no-shows."""
    branch = branch_or_404(engine, body.branch)
    row = await run_in_threadpool(
        lambda: book_appointment(
            engine,
            actor,
            body.customer_id,
            branch,
            service=body.service,
            starts_at=body.starts_at,
            reason=body.reason,
            staff=body.staff,
            channel=body.channel,
            region=settings.default_region,
        )
    )
    keep = ("id", "ref", "customer_id", "branch", "service", "starts_at", "reason", "staff",
            "channel", "status")  # fmt: skip
    return json_response({k: row[k] for k in keep}, 201)
