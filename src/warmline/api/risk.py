"""The at-risk queue: who may be about to leave and why, and recording outreach."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from warmline.actions.outreach import record_outreach
from warmline.domain.access.roles import Actor, Permission
from warmline.events import Channel
from warmline.serving.access import access_customer
from warmline.serving.deps import EngineDep, SettingsDep, require
from warmline.serving.responses import json_response
from warmline.serving.risk import QUEUE_LIMIT, at_risk_queue

router = APIRouter(tags=["at risk"])


@router.get("/v1/at-risk", summary="Customers at risk, the highest score first")
def get_at_risk(
    engine: EngineDep,
    settings: SettingsDep,
    actor: Annotated[Actor, Depends(require(Permission.WORK_AT_RISK))],
    limit: Annotated[int, Query(ge=1, le=200)] = QUEUE_LIMIT,
) -> Response:
    """Customers whose risk score is at or above the threshold (``WARMLINE_RISK_THRESHOLD``)
    and whom nobody has reached out to since their latest sign: each with the signals
    behind the score (weight and evidence), their last words and a suggested owner."""
    queue = at_risk_queue(engine, actor, threshold=settings.risk_threshold, limit=limit)
    return json_response({"threshold": settings.risk_threshold, "customers": queue})


class OutreachIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel = "voice"
    note: Annotated[str | None, Field(max_length=2000)] = None


@router.post(
    "/v1/customers/{customer_id}/outreach", status_code=201, summary="Record outreach done"
)
async def post_outreach(
    customer_id: str,
    body: OutreachIn,
    engine: EngineDep,
    settings: SettingsDep,
    actor: Annotated[Actor, Depends(require(Permission.WORK_AT_RISK))],
) -> Response:
    """Someone reached out to this customer: recorded as a contact (an interaction from
    ``warmline.outreach`` on ``channel``, with the note as what the agent said), so the
    customer leaves the queue until a new sign."""

    def record() -> dict[str, object]:
        with engine.connect() as conn:
            live = access_customer(conn, engine, actor, customer_id, "at_risk.opened")
        return record_outreach(
            engine, actor, live, channel=body.channel, note=body.note, settings=settings
        )

    return json_response(await run_in_threadpool(record), status=201)
