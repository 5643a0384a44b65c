"""POST /v1/events: the ingest endpoint."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from warmline.actions.ingest import ingest_events
from warmline.actions.risk import risk_policy
from warmline.domain.access.roles import Actor, Permission
from warmline.errors import InvalidRequest
from warmline.events import EVENT_TYPES, Envelope
from warmline.serving.bodies import read_bounded
from warmline.serving.deps import EngineDep, SettingsDep, require
from warmline.serving.prometheus import count_events

router = APIRouter(tags=["events"])

_BATCH_SCHEMA = {
    "type": "array",
    "items": Envelope.model_json_schema(),
    "description": f"CloudEvents 1.0 envelopes; type is one of {', '.join(EVENT_TYPES)}",
}


@router.post(
    "/v1/events",
    summary="Ingest a batch of events",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _BATCH_SCHEMA}},
        }
    },
    responses={
        200: {"description": "Every event stored or already stored (duplicate)"},
        207: {"description": "Some events rejected; the others were stored"},
        422: {"description": "Every event rejected; nothing stored"},
    },
)
async def post_events(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    actor: Annotated[Actor, Depends(require(Permission.WRITE_EVENTS))],
) -> Response:
    """Store and project a JSON array of CloudEvents envelopes. Replaying a batch is safe:
    events already stored report ``duplicate``. Each rejected event lists its errors; an
    event claiming a verified identifier is rejected (``verify_not_allowed``) unless the
    key may verify."""
    body = await read_bounded(request, settings.max_body_bytes)
    try:
        envelopes = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(
            "invalid_json", f"the body is not valid JSON: {exc}", hint="send a JSON array of events"
        ) from None
    if not isinstance(envelopes, list):
        raise InvalidRequest(
            "body_not_array",
            f"the body must be a JSON array of events, not a JSON {type(envelopes).__name__}",
            hint="wrap a single event in [ ]",
        )
    result = await run_in_threadpool(
        ingest_events,
        engine,
        envelopes,
        region=settings.default_region,
        max_batch=settings.max_batch_events,
        may_verify=actor.may_verify,
        insight=settings.insight,
        risk=risk_policy(settings),
    )
    rejected = result.count("rejected")
    count_events(result.stored, result.count("duplicate"), rejected)
    status = 200 if rejected == 0 else (422 if rejected == len(result.items) else 207)
    return Response(
        orjson.dumps(result.to_json()), status_code=status, media_type="application/json"
    )
