"""Continuation codes: issue one for a verified session; present one on a new contact."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from warmline.actions.continuations import issue_code
from warmline.domain.access.roles import Actor, Permission
from warmline.errors import Conflict
from warmline.serving.continuations import present_code
from warmline.serving.deps import EngineDep, SettingsDep, require
from warmline.serving.responses import json_response
from warmline.storage import handover_queries as hq
from warmline.storage import queries

router = APIRouter(tags=["continuations"])
Ref = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class ContinuationIn(BaseModel):
    """The verification to carry: its assurance id, or the interaction it happened in."""

    model_config = ConfigDict(extra="forbid")

    assurance_id: Ref | None = None
    interaction_id: Ref | None = Field(
        None, description="Warmline's or your id of the session the customer verified in."
    )


class PresentIn(BaseModel):
    """A code as the customer read it out or keyed it in ("1234 5678" is fine)."""

    model_config = ConfigDict(extra="forbid")

    code: Code


@router.post(
    "/v1/customers/{customer_id}/continuations",
    summary="Issue a continuation code for a verified session",
    status_code=201,
)
def post_continuation(
    customer_id: str,
    body: ContinuationIn,
    engine: EngineDep,
    settings: SettingsDep,
    actor: Annotated[Actor, Depends(require(Permission.ISSUE_CONTINUATIONS))],
) -> Response:
    """A short-lived, single-use code of 8 digits that carries the verification into the
    customer's next contact (keyed into the IVR or read to the agent). Shown once; only a
    hash is kept. At most 3 a customer an hour (429 ``too_many_codes``)."""
    issued = issue_code(
        engine,
        actor,
        customer_id,
        assurance_id=body.assurance_id,
        interaction_id=body.interaction_id,
        minutes=settings.continuation_minutes,
    )
    return json_response(
        {
            "code": issued.code,
            "continuation_id": issued.continuation_id,
            "customer_id": issued.customer_id,
            "assurance_id": issued.assurance_id,
            "expires_at": issued.expires_at,
        },
        201,
    )


@router.post(
    "/v1/interactions/{interaction_id}/continuation",
    summary="Carry a verification into this contact with the code the customer gives",
)
def post_present(
    interaction_id: str,
    body: PresentIn,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    actor: Annotated[Actor, Depends(require(Permission.PRESENT_CONTINUATIONS))],
) -> Response:
    """On success the contact is verified as the customer was in the other session (its
    channel, level and time); refused codes answer with their own stable ``code``:
    ``continuation_code_invalid``, ``_malformed``, ``_expired``, ``_used``, ``_revoked``,
    ``continuation_other_customer``, ``continuation_caller_unknown``, and 429
    ``too_many_code_attempts`` / ``continuation_locked`` when a guessing loop is stopped."""
    with engine.connect() as conn:
        interaction = hq.interaction(conn, interaction_id)
        customer_id = queries.live_customer_id(conn, interaction["customer_id"])
    if interaction["status"] == "ended":
        raise Conflict(
            "interaction_ended",
            "this interaction has ended: verification is carried into a live contact only",
        )
    carried = present_code(
        engine, actor, request, body.code, customer_id, interaction, settings.default_region
    )
    return json_response({"interaction_id": interaction["id"], "verification": carried})
