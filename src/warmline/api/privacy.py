"""The customer's rights: everything held about them (export), and erasure."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from warmline.actions.erase import erase_customer
from warmline.domain.access.roles import Actor, Permission
from warmline.serving.access import access_customer
from warmline.serving.deps import EngineDep, require
from warmline.serving.responses import json_response
from warmline.storage import identity_queries, queries

router = APIRouter(tags=["privacy"])


@router.get("/v1/customers/{customer_id}/export", summary="Everything held about a customer")
def export(
    customer_id: str,
    engine: EngineDep,
    actor: Annotated[Actor, Depends(require(Permission.EXPORT_CUSTOMERS))],
) -> Response:
    """Profile, identifiers, facts, interactions and messages, cases, commitments, activities,
    verifications, feedback, the raw events, and who looked at the data (the audit log)."""
    with engine.connect() as conn:
        live = access_customer(conn, engine, actor, customer_id, "customer.exported")
        rows = queries.export_rows(conn, live, sorted(identity_queries.cluster_of(conn, {live})))
    return json_response({"customer_id": live, **rows})


@router.delete("/v1/customers/{customer_id}", summary="Erase a customer")
async def erase(
    customer_id: str,
    engine: EngineDep,
    actor: Annotated[Actor, Depends(require(Permission.ERASE_CUSTOMERS))],
    reason: Annotated[str, Query(min_length=5, max_length=500, description="why (audited)")],
) -> Response:
    """Remove the customer's personal data from every table and the raw log; keep a
    tombstone so replayed old events cannot bring it back. Erasing twice is 410."""
    removed = await run_in_threadpool(erase_customer, engine, customer_id, actor, reason)
    return json_response({"customer_id": customer_id, "status": "erased", "removed": removed})
