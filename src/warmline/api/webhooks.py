"""Webhooks out, managed by admins: subscriptions (a receiver's URL, the event types it
wants, its own signing secret shown once) and the dead letters, replayed on request.
Every change is audited. See docs/webhooks.md for what a receiver checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from warmline.actions.webhook_subscriptions import (
    CONFIGURED,
    create_subscription,
    delete_subscription,
    get_subscription,
    list_subscriptions,
    rotate_subscription_secret,
    update_subscription,
)
from warmline.actions.webhooks import allowed_networks, dead_letters, replay_dead
from warmline.domain.access.roles import Actor, Permission
from warmline.domain.webhooks import EVENT_TYPES
from warmline.serving.deps import EngineDep, SettingsDep, require
from warmline.serving.responses import json_response

router = APIRouter(tags=["webhooks"])
Admin = Annotated[Actor, Depends(require(Permission.MANAGE_WEBHOOKS))]
Url = Annotated[str, StringConstraints(min_length=8, max_length=2000)]
EventType = Annotated[str, StringConstraints(min_length=1, max_length=64)]
TYPES_HELP = f"Event types: {', '.join(EVENT_TYPES)}; or '*' for every type."


class SubscriptionIn(BaseModel):
    """A receiver and the events it wants."""

    model_config = ConfigDict(extra="forbid")

    url: Url = Field(description="Where events are POSTed (http or https, a public address).")
    event_types: list[EventType] = Field(min_length=1, max_length=20, description=TYPES_HELP)
    description: Annotated[str, StringConstraints(max_length=200)] | None = None


class SubscriptionPatch(BaseModel):
    """What to change; what is left out stays."""

    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    event_types: list[EventType] | None = Field(
        None, min_length=1, max_length=20, description=TYPES_HELP
    )
    description: Annotated[str, StringConstraints(max_length=200)] | None = None
    enabled: bool | None = Field(
        None, description="false: no new events, and pending deliveries wait until true."
    )


class ReplayIn(BaseModel):
    """Which dead letters to send again: by id, or all of one subscription's."""

    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[int, Field(ge=1, le=2**62)]] | None = Field(None, max_length=1000)
    subscription_id: Annotated[str, StringConstraints(max_length=40)] | None = None


@router.post(
    "/v1/webhooks/subscriptions", summary="Subscribe a receiver to webhook events", status_code=201
)
def post_subscription(
    body: SubscriptionIn, engine: EngineDep, settings: SettingsDep, actor: Admin
) -> Response:
    """The subscription and its signing ``secret`` (``whsec_`` + base64, Standard
    Webhooks), shown only in this answer. The URL must resolve to public addresses only
    (or to a network in WARMLINE_WEBHOOK_ALLOWED_NETWORKS)."""
    made, secret = create_subscription(
        engine,
        actor,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
        link_secret=settings.link_secret,
        allowed=allowed_networks(settings),
    )
    return json_response({**made, "secret": secret}, 201)


@router.get("/v1/webhooks/subscriptions", summary="List webhook subscriptions")
def get_subscriptions(engine: EngineDep, settings: SettingsDep, actor: Admin) -> Response:
    """Every subscription, WARMLINE_WEBHOOK_URL's first (id ``configured``); never a
    secret."""
    return json_response({"subscriptions": list_subscriptions(engine, settings.webhook_url)})


@router.get("/v1/webhooks/subscriptions/{subscription_id}", summary="One webhook subscription")
def get_one_subscription(
    subscription_id: str, engine: EngineDep, settings: SettingsDep, actor: Admin
) -> Response:
    if subscription_id == CONFIGURED and settings.webhook_url:
        found = list_subscriptions(engine, settings.webhook_url)[0]
    else:
        found = get_subscription(engine, subscription_id)
    return json_response(found)


@router.patch(
    "/v1/webhooks/subscriptions/{subscription_id}", summary="Change a webhook subscription"
)
def patch_subscription(
    subscription_id: str,
    body: SubscriptionPatch,
    engine: EngineDep,
    settings: SettingsDep,
    actor: Admin,
) -> Response:
    """Change its URL (checked as when made), event types, description, or pause it."""
    changed = update_subscription(
        engine,
        actor,
        subscription_id,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
        enabled=body.enabled,
        allowed=allowed_networks(settings),
    )
    return json_response(changed)


@router.post(
    "/v1/webhooks/subscriptions/{subscription_id}/rotate",
    summary="Rotate a webhook subscription's secret",
)
def post_rotate_subscription(
    subscription_id: str, engine: EngineDep, settings: SettingsDep, actor: Admin
) -> Response:
    """A new signing secret, shown only in this answer; deliveries from now on are signed
    with it (retries of older events too)."""
    made, secret = rotate_subscription_secret(
        engine, actor, subscription_id, link_secret=settings.link_secret
    )
    return json_response({**made, "secret": secret})


@router.delete(
    "/v1/webhooks/subscriptions/{subscription_id}", summary="Delete a webhook subscription"
)
def delete_one_subscription(subscription_id: str, engine: EngineDep, actor: Admin) -> Response:
    """No more events; what it had not been delivered (dead letters too) is dropped."""
    done = delete_subscription(engine, actor, subscription_id)
    return json_response({"id": subscription_id, "deleted": True, **done})


@router.get("/v1/webhooks/dead-letters", summary="Webhook deliveries given up on")
def get_dead_letters(
    engine: EngineDep,
    actor: Admin,
    subscription_id: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Newest first: the subscription, the event (``message_id`` is its ``webhook-id``),
    the attempts made and the last error (an HTTP status, a timeout, a refused address)."""
    found = dead_letters(engine, subscription_id=subscription_id, limit=limit)
    return json_response({"dead_letters": found})


@router.post("/v1/webhooks/dead-letters/replay", summary="Send dead letters again")
def post_replay(body: ReplayIn, engine: EngineDep, actor: Admin) -> Response:
    """Put the named dead letters (or every one of a subscription) back in line, their
    attempts counted from zero; the server sends them within seconds."""
    count = replay_dead(engine, actor, ids=body.ids, subscription_id=body.subscription_id)
    return json_response({"replayed": count})
