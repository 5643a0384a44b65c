"""Connectors: managed by admins; their webhooks posted by Chatwoot and Zendesk themselves,
authenticated by the connector's own secret rather than an API key."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from warmline.actions.connectors import (
    Connector,
    authenticate_connector,
    create_connector,
    list_connectors,
    list_gaps,
    receive_delivery,
    revoke_connector,
    rotate_secret,
)
from warmline.domain.access.roles import Actor, Permission
from warmline.errors import InvalidRequest, Unauthenticated
from warmline.serving.bodies import read_bounded
from warmline.serving.deps import EngineDep, SettingsDep, client_address, require
from warmline.serving.responses import json_response

router = APIRouter(tags=["connectors"])
Admin = Annotated[Actor, Depends(require(Permission.MANAGE_CONNECTORS))]
Account = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
#: A webhook delivery is one object; Chatwoot's and Zendesk's are a few kilobytes.
MAX_DELIVERY_BYTES = 1024 * 1024


class ConnectorIn(BaseModel):
    """A connector for one account of another system."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["chatwoot", "zendesk"]
    account: Account = Field(description="Chatwoot's account id, or the Zendesk subdomain.")
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    options: dict[str, Any] = Field(
        default_factory=dict,
        description='{"inbox_channels": {"<inbox id>": "sms"}, "identifier_kind": '
        '"customer_number"}',
    )


def _with_secret(connector: Connector, secret: str) -> dict[str, Any]:
    return {**connector.to_json(), "secret": secret}


@router.post("/v1/connectors", summary="Create a webhook connector", status_code=201)
def post_connector(body: ConnectorIn, engine: EngineDep, actor: Admin) -> Response:
    """A connector and its secret, shown only in this answer (only a hash is kept). Point
    the other system's webhook at ``path`` with the secret (see docs/integrate.md)."""
    connector, secret = create_connector(
        engine, actor, kind=body.kind, account=body.account, name=body.name, options=body.options
    )
    return json_response(_with_secret(connector, secret), 201)


@router.get("/v1/connectors", summary="List webhook connectors")
def get_connectors(engine: EngineDep, actor: Admin) -> Response:
    """Every connector, revoked ones too; never a secret."""
    return json_response({"connectors": [c.to_json() for c in list_connectors(engine)]})


async def _delivery(
    kind: str, account: str, request: Request, engine: Any, settings: Any
) -> Response:
    secret = _presented_secret(request)
    throttle = request.app.state.auth_throttle
    address = client_address(request)
    throttle.check(address, secret)
    connector = await run_in_threadpool(authenticate_connector, engine, kind, account, secret)
    if connector is None:
        throttle.failed(address, secret)
        raise Unauthenticated(
            "invalid_connector_secret",
            f"no active {kind} connector for account '{account[:100]}' has that secret",
            hint="check the webhook's URL and secret; an admin can rotate it "
            "(`warmline connectors rotate`)",
        )
    body = await read_bounded(request, MAX_DELIVERY_BYTES)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(
            "invalid_json", f"the body is not valid JSON: {exc}", hint="send the payload as posted"
        ) from None
    delivery = await run_in_threadpool(
        receive_delivery,
        engine,
        connector,
        payload,
        region=settings.default_region,
        insight=settings.insight,
    )
    rejected = delivery.result.count("rejected")
    items = len(delivery.result.items)
    status = 200 if rejected == 0 else (422 if rejected == items else 207)
    return json_response(delivery.to_json(), status)


def _presented_secret(request: Request) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    secret = (
        (value.strip() if scheme.lower() == "bearer" else "")
        or request.headers.get("x-warmline-secret", "").strip()
        or request.query_params.get("secret", "").strip()
    )
    if not secret:
        raise Unauthenticated(
            "missing_connector_secret",
            "this webhook needs its connector's secret",
            hint="send 'Authorization: Bearer <secret>' (Zendesk), or add ?secret=<secret> to "
            "the webhook's URL (Chatwoot)",
        )
    return secret[:200]


_DELIVERY_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Stored, already stored (replayed), or deliberately not used"},
    207: {"description": "Some of the delivery's events were rejected"},
}


@router.post(
    "/v1/connectors/chatwoot/{account}",
    summary="Receive a Chatwoot webhook",
    responses=_DELIVERY_RESPONSES,
)
async def post_chatwoot(
    account: str, request: Request, engine: EngineDep, settings: SettingsDep
) -> Response:
    """Chatwoot's own webhook payload (contact_created, contact_updated, conversation_created,
    conversation_status_changed, message_created, message_updated) as Warmline events.
    Authenticated by the connector's secret (``?secret=`` in the webhook URL, or a bearer
    header). Replayed deliveries change nothing (``replayed: true``); what could not be
    used is listed in ``warnings``; other Chatwoot events answer ``ignored``."""
    return await _delivery("chatwoot", account, request, engine, settings)


@router.post(
    "/v1/connectors/zendesk/{account}",
    summary="Receive a Zendesk webhook",
    responses=_DELIVERY_RESPONSES,
)
async def post_zendesk(
    account: str, request: Request, engine: EngineDep, settings: SettingsDep
) -> Response:
    """A Zendesk event webhook (ticket.created, ticket.comment_added, ticket.status_changed,
    user.created) or a trigger's ``{"ticket": {...}}`` body, as Warmline events.
    Authenticated by the connector's secret as a bearer token."""
    return await _delivery("zendesk", account, request, engine, settings)


@router.get("/v1/connectors/{connector_id}/gaps", summary="What a connector's deliveries lacked")
def get_gaps(
    connector_id: str,
    engine: EngineDep,
    actor: Admin,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """The most recent gaps, newest first: what a delivery carried that could not be used
    (``missing_id``, ``invalid_identifier``, ...) and refused deliveries, each with where in
    the payload, its code and the event it concerns (whose raw envelope keeps the gaps as
    ``warmlinegaps``). Values are never listed: they may be a customer's."""
    return json_response({"gaps": list_gaps(engine, connector_id, limit=limit)})


@router.post("/v1/connectors/{connector_id}/rotate", summary="Rotate a connector's secret")
def post_rotate(connector_id: str, engine: EngineDep, actor: Admin) -> Response:
    """A new secret, shown only in this answer; the old one stops working now."""
    connector, secret = rotate_secret(engine, actor, connector_id)
    return json_response(_with_secret(connector, secret))


@router.delete("/v1/connectors/{connector_id}", summary="Revoke a connector")
def delete_connector(connector_id: str, engine: EngineDep, actor: Admin) -> Response:
    """Refuse the connector's deliveries from now on (its events stay)."""
    return json_response(revoke_connector(engine, actor, connector_id).to_json())
