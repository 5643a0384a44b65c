"""A continuation code presented on a live contact, from the API or from the desk."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from warmline.actions.continuations import Source, redeem_code
from warmline.domain.access.roles import Actor
from warmline.domain.card.items import carried_verification
from warmline.errors import WarmlineError
from warmline.serving.deps import client_address
from warmline.storage import handover_queries as hq


def present_code(
    engine: Engine,
    actor: Actor,
    request: Request,
    code: str,
    customer_id: str | None,
    interaction: dict[str, Any],
    region: str,
) -> dict[str, Any]:
    """Redeem ``code`` on ``interaction``; the verification carried, as the card words it."""
    source = Source(actor.key_id, client_address(request))
    original = redeem_code(
        engine,
        actor,
        code,
        customer_id=customer_id,
        interaction=interaction,
        source=source,
        region=region,
    )
    return carried_verification(original, dt.datetime.now(dt.UTC))


async def present_on_contact(
    engine: Engine,
    actor: Actor,
    request: Request,
    code: str,
    customer_id: str | None,
    interaction_id: str,
    region: str,
) -> dict[str, Any]:
    """The ``continuation`` member of a contact's response: what was carried, or why not
    (the contact itself is started either way)."""

    def redeem() -> dict[str, Any]:
        with engine.connect() as conn:
            interaction = hq.interaction(conn, interaction_id)
        return present_code(engine, actor, request, code, customer_id, interaction, region)

    try:
        carried = await run_in_threadpool(redeem)
    except WarmlineError as refused:
        return {"inherited": False, **refused.problem()}
    return {"inherited": True, "verification": carried}
