"""Request dependencies: the engine, settings and the access funnel for keys and customers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.engine import Connection, Engine

from warmline.actions.audit import record_read
from warmline.actions.keys import authenticate
from warmline.config import Settings
from warmline.domain.access.masking import mask_card
from warmline.domain.access.roles import Actor, Permission, allows
from warmline.errors import Forbidden, Gone, NotFound, Unauthenticated
from warmline.serving.throttle import FailureThrottle
from warmline.storage import queries


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def current_actor(request: Request, engine: EngineDep) -> Actor:
    """The key holder making this request (401 if there is no valid key; 429 after too many
    failures from the same address)."""
    throttle: FailureThrottle = request.app.state.auth_throttle
    address = client_address(request)
    throttle.check(address)
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthenticated(
            "missing_key",
            "this endpoint needs an API key",
            hint="send 'Authorization: Bearer <key>'; create a key with `warmline keys create`",
        )
    actor = authenticate(engine, key.strip())
    if actor is None:
        throttle.failed(address)
        raise Unauthenticated(
            "invalid_key",
            "the API key is unknown, revoked or expired",
            hint="ask an admin for a new key (`warmline keys create`)",
        )
    return actor


def require(permission: Permission) -> Callable[..., Actor]:
    """A dependency that lets a request through only if its key's role has ``permission``."""

    def check(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if not allows(actor.role, permission):
            raise Forbidden(
                "forbidden",
                f"a key with role '{actor.role}' may not do this (needs '{permission}')",
                hint="use a key whose role has that permission",
            )
        return actor

    check.permission = permission  # type: ignore[attr-defined]  # read by the route-table test
    return check


def access_customer(
    conn: Connection, engine: Engine, actor: Actor, customer_id: str, action: str, **detail: Any
) -> str:
    """The one funnel for reading a customer: follow merges, 404 if absent, audit the read.

    Returns the live customer id (which differs from ``customer_id`` after a merge).
    """
    live = queries.live_customer_id(conn, customer_id)
    if live is None and queries.is_erased(conn, customer_id):
        raise Gone("customer_erased", "this customer's data was erased at their request")
    if live is None:
        raise NotFound(
            "customer_not_found",
            f"no customer '{customer_id[:60]}'",
            hint="find customers with GET /v1/customers?identifier=kind:value or ?q=name",
        )
    record_read(engine, actor, action, live, detail)
    return live


def as_seen_by(actor: Actor, card: dict[str, Any] | None) -> dict[str, Any] | None:
    """A card with sensitive traits masked unless the actor's role sees them unmasked."""
    if card is None or allows(actor.role, Permission.SEE_UNMASKED):
        return card
    return mask_card(card)
