"""Warm handovers: hand an interaction to an agent or a queue with a note; accept one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from warmline.actions.handovers import accept_handover, hand_over
from warmline.actions.note_rewrite import llm_endpoint
from warmline.domain.access.roles import Actor, Permission
from warmline.domain.handover.note import MAX_REMARK_CHARS, HandoverNote, render_text
from warmline.errors import NotFound
from warmline.serving.access import access_customer
from warmline.serving.deps import EngineDep, SettingsDep, require
from warmline.serving.responses import json_response
from warmline.storage import handover_queries as hq

router = APIRouter(tags=["handovers"])
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Sender = Annotated[Actor, Depends(require(Permission.HAND_OVER))]


class HandoverIn(BaseModel):
    """Who takes over (an agent's desk key name, or a queue) and an optional remark."""

    model_config = ConfigDict(extra="forbid")

    to_agent: Name | None = None
    to_queue: Name | None = None
    remark: Annotated[str, StringConstraints(max_length=MAX_REMARK_CHARS)] | None = None
    to_role: Name | None = Field(
        None, description='What the receiver looks after, for the introduction: "card payments".'
    )


def handover_json(handover: dict[str, Any]) -> dict[str, Any]:
    """A stored handover as the API shows it: the note, and the note as plain text."""
    note = HandoverNote.from_json(handover["note"])
    return {**handover, "text": render_text(note)}


@router.post(
    "/v1/interactions/{interaction_id}/handover",
    summary="Hand an interaction over with a warm handover note",
    status_code=201,
)
async def post_handover(
    interaction_id: str,
    body: HandoverIn,
    engine: EngineDep,
    settings: SettingsDep,
    actor: Sender,
) -> Response:
    """Builds the note (the issue in the customer's words, what was tried and found,
    promises, feeling, what they want, the next step, an introduction), pushes it to the
    receiving desk and records the transfer. Refused: unknown (404) or ended (409
    ``interaction_ended``) interaction, unknown agent (400 ``unknown_agent``), a handover
    still pending (409 ``handover_pending``)."""

    def send() -> dict[str, Any]:
        with engine.connect() as conn:
            found = hq.interaction(conn, interaction_id)
            access_customer(
                conn,
                engine,
                actor,
                found["customer_id"],
                "handover.sent",
                interaction_id=found["id"],
            )
        return hand_over(
            engine,
            actor,
            found["id"],
            to_agent=body.to_agent,
            to_queue=body.to_queue,
            remark=body.remark,
            role=body.to_role,
            llm=llm_endpoint(settings),
            region=settings.default_region,
        )

    handover = await run_in_threadpool(send)
    return json_response(handover_json(handover), 201)


@router.get("/v1/handovers/{handover_id}", summary="A handover and its note")
def get_handover(
    handover_id: str,
    engine: EngineDep,
    actor: Annotated[Actor, Depends(require(Permission.READ_CUSTOMERS))],
) -> Response:
    """The note, who sent it to whom, and whether it was accepted, when and by whom."""
    with engine.connect() as conn:
        handover = hq.handover(conn, handover_id)
        if handover is None:
            raise NotFound("handover_not_found", f"no handover '{handover_id[:60]}'")
        access_customer(
            conn, engine, actor, handover["customer_id"], "handover.viewed", handover_id=handover_id
        )
    return json_response(handover_json(handover))


@router.post("/v1/handovers/{handover_id}/accept", summary="Accept a handover")
def post_accept(handover_id: str, engine: EngineDep, actor: Sender) -> Response:
    """By the receiving agent (a supervisor may cover); anyone who takes handovers may take
    a queue's. The sender's desk is told at once. 409 ``handover_accepted_already``."""
    return json_response(handover_json(accept_handover(engine, actor, handover_id)))
