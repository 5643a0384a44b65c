"""GET /v1/audit: who read, searched or changed what, for auditors."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from warmline.domain.access.roles import Actor, Permission
from warmline.errors import InvalidRequest
from warmline.events import outside_utc
from warmline.serving.deps import EngineDep, require
from warmline.serving.responses import json_response
from warmline.storage import queries

router = APIRouter(tags=["audit"])


@router.get("/v1/audit", summary="The audit log, newest first")
def get_audit(
    engine: EngineDep,
    _actor: Annotated[Actor, Depends(require(Permission.READ_AUDIT))],
    customer_id: Annotated[str | None, Query(max_length=40)] = None,
    actor: Annotated[str | None, Query(max_length=200, description="a key id")] = None,
    action: Annotated[str | None, Query(max_length=40, description="e.g. card.viewed")] = None,
    since: Annotated[dt.datetime | None, Query(description="inclusive, with a time zone")] = None,
    until: Annotated[dt.datetime | None, Query(description="exclusive, with a time zone")] = None,
    before: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="next_before of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """Every read of a customer (card, profile, timeline, conversation), every search, by
    whom and when. Entries carry the hash chain that `warmline audit verify` checks."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidRequest(
                "naive_timestamp", f"{name} needs a time zone", hint="e.g. 2026-11-22T10:00:00Z"
            )
        if value is not None and outside_utc(value):
            raise InvalidRequest(
                "invalid_timestamp",
                f"{name} cannot be held in UTC",
                hint="a time between the years 1 and 9999 in UTC, e.g. 2026-11-22T10:00:00Z",
            )
    with engine.connect() as conn:
        entries = queries.audit_page(
            conn,
            customer_id=customer_id,
            actor=actor,
            action=action,
            since=since,
            until=until,
            before_id=before,
            limit=limit,
        )
    next_before = entries[-1]["id"] if len(entries) == limit else None
    return json_response({"entries": entries, "next_before": next_before})
