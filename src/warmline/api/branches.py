"""Branches: their setup (read it; admins change it), the queue, staff at service points,
and calling tickets."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, StringConstraints
from starlette.concurrency import run_in_threadpool

from warmline.actions.branch_setup import branch_or_404, save_branch, sit_at
from warmline.actions.calls import call
from warmline.domain.access.roles import Actor, Permission
from warmline.domain.branch.setup import SetupError, check_branch
from warmline.errors import InvalidRequest
from warmline.serving.bodies import read_bounded
from warmline.serving.branch_queue import queue_view
from warmline.serving.deps import EngineDep, SettingsDep, require
from warmline.serving.responses import json_response
from warmline.serving.visits import called_card
from warmline.storage import branch_queries as bq

router = APIRouter(tags=["branches"])
Code = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Staff = Annotated[Actor, Depends(require(Permission.SERVE_VISITS))]
MAX_BRANCH_BYTES = 256 * 1024


class CallIn(BaseModel):
    """Where the caller sits, and a ticket to call by name (else the next one)."""

    model_config = ConfigDict(extra="forbid")

    service_point: Code
    ticket: Annotated[str, StringConstraints(min_length=1, max_length=12)] | None = None


class SittingIn(BaseModel):
    """The service point to sit at."""

    model_config = ConfigDict(extra="forbid")

    service_point: Code


@router.get("/v1/branches", summary="The branches, their services and service points")
def get_branches(
    engine: EngineDep, actor: Annotated[Actor, Depends(require(Permission.READ_BRANCHES))]
) -> Response:
    with engine.connect() as conn:
        found = bq.all_branches(conn)
    return json_response({"branches": [b.to_json() for b in found]})


@router.get("/v1/branches/{code}", summary="One branch as configured")
def get_branch(
    code: str,
    engine: EngineDep,
    actor: Annotated[Actor, Depends(require(Permission.READ_BRANCHES))],
) -> Response:
    return json_response(branch_or_404(engine, code).to_json())


@router.put("/v1/branches/{code}", summary="Add or change a branch")
async def put_branch(
    code: str,
    request: Request,
    engine: EngineDep,
    actor: Annotated[Actor, Depends(require(Permission.MANAGE_BRANCHES))],
) -> Response:
    """The whole branch (``name``, ``timezone``, ``services``, ``service_points``,
    ``staff``), as in the branches file; ``invalid_branch`` (400) lists every problem with
    where it is and what to write instead. Answers ``outcome``: added, changed or
    unchanged."""
    body = await read_bounded(request, MAX_BRANCH_BYTES)
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest("invalid_json", f"the body is not valid JSON: {exc}") from None
    if isinstance(data, dict):
        data = {"code": code, **data}
        if data["code"] != code:
            raise InvalidRequest(
                "branch_code_mismatch",
                f"the body names branch '{str(data['code'])[:40]}', the path '{code[:40]}'",
                hint="leave code out of the body, or make them agree",
            )
    try:
        branch = check_branch(data, "branch")
    except SetupError as exc:
        raise InvalidRequest(
            "invalid_branch",
            "; ".join(f"{where}: {what}" for where, what in exc.problems),
            hint="see the README's Branch section for the shape",
            extra={"errors": [{"field": w, "reason": r} for w, r in exc.problems]},
        ) from None
    outcome = await run_in_threadpool(save_branch, engine, actor, branch)
    return json_response(
        {"outcome": outcome, "branch": branch.to_json()}, 201 if outcome == "added" else 200
    )


@router.get("/v1/branches/{code}/queue", summary="The branch's queue and estimated waits")
def get_queue(code: str, engine: EngineDep, settings: SettingsDep, actor: Staff) -> Response:
    """Waiting tickets in the order they will be called (appointments whose time has come
    first), each with its reason and estimated wait; each service's wait for a ticket taken
    now; who sits at which service point; today's tickets by status. No names: calling a
    ticket opens the customer's card."""
    return json_response(queue_view(engine, settings, branch_or_404(engine, code)))


@router.post(
    "/v1/branches/{code}/sittings",
    summary="Sit at a service point (staff of the branch)",
    status_code=201,
)
def post_sitting(code: str, body: SittingIn, engine: EngineDep, actor: Staff) -> Response:
    """The key's holder sits at the service point from now (leaving wherever they sat);
    ``not_staff_here`` (403) unless the branch lists them as staff."""
    branch = branch_or_404(engine, code)
    return json_response(sit_at(engine, actor, branch, body.service_point), 201)


@router.post("/v1/branches/{code}/calls", summary="Call the next ticket, or a named one")
async def post_call(
    code: str, body: CallIn, engine: EngineDep, settings: SettingsDep, actor: Staff
) -> Response:
    """Calls the next ticket for the service point's services (or ``ticket``), shows it on
    the branch's screens and pops the customer's card on the caller's desk, as a call
    does; the card is in the answer too. Refused: ``ticket_already_called`` (409: someone
    called it first, and who), ``queue_empty`` (409), ``ticket_not_found`` (404),
    ``ticket_other_service`` (409), ``not_staff_here`` (403)."""
    branch = branch_or_404(engine, code)
    called = await run_in_threadpool(
        call,
        engine,
        actor,
        branch,
        body.service_point,
        ticket=body.ticket,
        region=settings.default_region,
        continuity=dt.timedelta(minutes=settings.continuity_minutes),
    )
    card = await run_in_threadpool(called_card, engine, settings, actor, called)
    out: dict[str, Any] = {
        "visit": _visit_json(called.visit),
        "recalled": called.recalled,
        "interaction_id": called.contact.interaction_id,
        "customer_id": called.contact.customer_id,
        "recognised": called.contact.recognised,
        "joined_case": called.contact.joined_case,
        "pushed_to": called.contact.pushed_to,
        "card": card,
    }
    return json_response(out)


def _visit_json(visit: dict[str, Any]) -> dict[str, Any]:
    """A visit as the API shows it: no guest's number."""
    return {k: v for k, v in visit.items() if k not in {"guest_phone", "appointment_at"}}
