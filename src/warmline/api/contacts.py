"""Contact start, the context card and conversations."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, get_args

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from warmline.actions.audit import Receipt
from warmline.actions.contacts import contact_start, start_contact
from warmline.config import Settings
from warmline.domain.access.roles import Actor, Permission, allows
from warmline.domain.card.assembly import unrecognised_card
from warmline.domain.identity.identifiers import mask_identifier
from warmline.errors import InvalidRequest, NotFound
from warmline.events import Channel, CustomerRef, errors_from
from warmline.serving.access import access_customer, committed
from warmline.serving.bodies import read_bounded
from warmline.serving.cards import card_being_audited, card_context, read_card
from warmline.serving.continuations import present_on_contact
from warmline.serving.deps import EngineDep, SettingsDep, require
from warmline.serving.direct_route import DirectRoute, direct
from warmline.serving.responses import json_response
from warmline.serving.threads import run_read
from warmline.storage import queries

router = APIRouter(tags=["contacts"], route_class=DirectRoute)
read_customers = require(Permission.READ_CUSTOMERS)
Reader = Annotated[Actor, Depends(read_customers)]
MAX_CONTACT_BYTES = 64 * 1024


class ContactIn(BaseModel):
    """A contact starting on a channel, with the identifiers that channel knows."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    customer: CustomerRef
    agent_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        None, description="The agent it is routed to: the name of their desk key."
    )
    queue: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    contact_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        None,
        description="Your id for this contact (used as the interaction id); generated if absent.",
    )
    continuation_code: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = (
        Field(
            None,
            description="A continuation code the caller keyed in (from a verified app session): "
            "the contact inherits that verification. The response's `continuation` says "
            "whether it did, or why not.",
        )
    )


@router.post(
    "/v1/contacts",
    summary="Start a contact: resolve the customer, record it, push the card",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ContactIn.model_json_schema()}},
        }
    },
    status_code=201,
)
async def post_contact(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    actor: Annotated[Actor, Depends(require(Permission.START_CONTACTS))],
) -> Response:
    """Returns the card too when the key may read customers (agents); integrators get the ids."""
    body = await read_bounded(request, MAX_CONTACT_BYTES)
    try:
        contact_in = ContactIn.model_validate(
            orjson.loads(body), context={"region": settings.default_region}
        )
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest("invalid_json", f"the body is not valid JSON: {exc}") from None
    except ValidationError as exc:
        errors = errors_from(exc, "")
        raise InvalidRequest(
            "invalid_contact",
            "; ".join(f"{e.field}: {e.reason}" for e in errors),
            hint="see POST /v1/contacts in /docs",
            extra={
                "errors": [{"field": e.field, "reason": e.reason, "code": e.code} for e in errors]
            },
        ) from None
    identifiers = [i.to_identifier() for i in contact_in.customer.identifiers]
    start = contact_start(
        channel=contact_in.channel,
        identifiers=identifiers,
        agent_id=contact_in.agent_id,
        queue=contact_in.queue,
        contact_id=contact_in.contact_id,
        region=settings.default_region,
        continuity=dt.timedelta(minutes=settings.continuity_minutes),
    )
    contact = await run_in_threadpool(start_contact, engine, start)
    out: dict[str, Any] = {
        "contact_id": contact.contact_id,
        "interaction_id": contact.interaction_id,
        "customer_id": contact.customer_id,
        "recognised": contact.recognised,
        "pushed_to": contact.pushed_to,
        "joined_case": contact.joined_case,
    }
    if warnings := contact_in.customer.warnings:
        # What was left out or kept as written: the contact was recorded all the same.
        out["warnings"] = [
            {"field": f"/customer{w.field}", "reason": w.reason, "code": w.code} for w in warnings
        ]
    if contact_in.continuation_code is not None:
        out["continuation"] = await present_on_contact(
            engine,
            actor,
            request,
            contact_in.continuation_code,
            contact.customer_id if contact.recognised else None,
            contact.interaction_id,
            settings.default_region,
        )
    if not allows(actor.role, Permission.READ_CUSTOMERS):
        out["card"] = None
        return json_response(out, 201)
    presented = [{"kind": i.kind, "value": mask_identifier(i.kind, i.value)} for i in identifiers]
    ctx = card_context(settings, channel=contact.channel, interaction_id=contact.interaction_id)

    def card() -> dict[str, Any] | None:
        with engine.connect() as conn:
            if not contact.recognised:
                candidates = queries.customer_summaries(conn, list(contact.candidates))
                return unrecognised_card(contact.channel, presented, candidates)
            return read_card(
                conn, engine, actor, contact.customer_id, ctx, contact_id=contact.contact_id
            )

    out["card"] = await run_in_threadpool(card)
    return json_response(out, 201)


CHANNELS = frozenset(get_args(Channel))
MAX_INTERACTION_ID = 200


async def _card_directly(request: Request) -> Response | None:
    """The card's usual request without FastAPI's solving (:mod:`warmline.serving.direct_route`):
    the same key and permission check, the same endpoint; None (FastAPI answers) for a
    parameter :func:`get_card` declares invalid."""
    query = request.query_params
    channel, interaction_id = query.get("channel"), query.get("interaction_id")
    if channel is not None and channel not in CHANNELS:
        return None
    if interaction_id is not None and len(interaction_id) > MAX_INTERACTION_ID:
        return None
    actor = await read_customers(request)
    customer_id = request.path_params["customer_id"]
    return await get_card(request, customer_id, actor, channel, interaction_id)  # type: ignore[arg-type]


@router.get("/v1/customers/{customer_id}/card", summary="The context card")
@direct(_card_directly)
async def get_card(
    request: Request,
    customer_id: str,
    actor: Reader,
    channel: Annotated[
        Channel | None, Query(description="The channel the customer is on now")
    ] = None,
    interaction_id: Annotated[str | None, Query(max_length=MAX_INTERACTION_ID)] = None,
) -> Response:
    """Who they are, continuity across channels, recent history, what is open or promised."""
    engine: Engine = request.app.state.engine  # not dependencies: each costs every card
    settings: Settings = request.app.state.settings

    def card() -> tuple[dict[str, Any] | None, Receipt]:  # one hop to a thread: the reads
        ctx = card_context(settings, channel=channel, interaction_id=interaction_id)
        with engine.connect() as conn:
            return card_being_audited(conn, engine, actor, customer_id, ctx)

    read, audited = await run_read(engine, card)
    await committed(audited)  # answered only once its audit row is durable; no thread waits
    return json_response(read)


@router.get("/v1/interactions/{interaction_id}", summary="An interaction and its messages")
def get_interaction(interaction_id: str, engine: EngineDep, actor: Reader) -> Response:
    """By Warmline's id or the source's own id; messages oldest first."""
    with engine.connect() as conn:
        found = queries.interaction_with_messages(conn, interaction_id)
        if found is None:
            raise NotFound("interaction_not_found", f"no interaction '{interaction_id[:60]}'")
        access_customer(
            conn,
            engine,
            actor,
            found["customer_id"],
            "conversation.viewed",
            interaction_id=found["id"],
        )
    return json_response(found)
