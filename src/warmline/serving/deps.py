"""Request dependencies shared by the API and the desk: the engine, the settings and the key
holder making the request.

Those that do no I/O are ``async def``: FastAPI runs a plain ``def`` dependency in the
threadpool, a hop to a worker thread and back for each, which on a busy server cost a
card more than its own reads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine

from warmline.actions.keys import authenticate_and_trust, trusted_actor
from warmline.config import Settings
from warmline.domain.access.roles import Actor, Permission, allows
from warmline.errors import Forbidden, Unauthenticated
from warmline.serving.threads import run_blocking
from warmline.serving.throttle import FailureThrottle


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def current_actor(request: Request) -> Actor:
    """The key holder making this request (401 if there is no valid key; 429 after too many
    failures with the same key prefix, or with any key, from the same address)."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise Unauthenticated(
            "missing_key",
            "this endpoint needs an API key",
            hint="send 'Authorization: Bearer <key>'; create a key with `warmline keys create`",
        )
    state = request.app.state
    throttle: FailureThrottle = state.auth_throttle
    address = client_address(request)
    throttle.check(address, key)
    # A key that verified within the last seconds is taken on trust (no thread, no read);
    # one revoked through this process is dropped at once, through another within seconds.
    actor = trusted_actor(state.engine, key)
    if actor is None:
        actor = await run_blocking(authenticate_and_trust, state.engine, key)
    if actor is None:
        throttle.failed(address, key)
        raise Unauthenticated(
            "invalid_key",
            "the API key is unknown, revoked or expired",
            hint="ask an admin for a new key (`warmline keys create`)",
        )
    return actor


def require(permission: Permission) -> Callable[..., Awaitable[Actor]]:
    """A dependency that lets a request through only if its key's role has ``permission``.

    One dependency taking only the request: FastAPI solves each level of a chain of
    ``Depends`` (cache keys, parameters, the call) on every request, which on the card's
    path cost more than the card's own reads."""

    async def check(request: Request) -> Actor:
        actor = await current_actor(request)
        if not allows(actor.role, permission):
            raise Forbidden(
                "forbidden",
                f"a key with role '{actor.role}' may not do this (needs '{permission}')",
                hint="use a key whose role has that permission",
            )
        return actor

    check.permission = permission  # type: ignore[attr-defined]  # read by the route-table test
    return check
