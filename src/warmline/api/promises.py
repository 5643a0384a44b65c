"""GET /v1/promises: service promises against delivery, with the worst misses."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from warmline.domain.access.roles import Actor, Permission
from warmline.serving.deps import EngineDep, SettingsDep, require
from warmline.serving.promises import promises_csv, read_promises
from warmline.serving.responses import json_response

router = APIRouter(tags=["metrics"])


@router.get(
    "/v1/promises",
    summary="Service promises kept, by period, with the worst misses",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
def get_promises(
    engine: EngineDep,
    settings: SettingsDep,
    actor: Annotated[Actor, Depends(require(Permission.READ_METRICS))],
    from_: Annotated[dt.date | None, Query(alias="from")] = None,
    to: Annotated[dt.date | None, Query()] = None,
    period: Annotated[str, Query(max_length=10)] = "week",
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """Each promise of ``WARMLINE_PROMISES_FILE`` (e.g. "email answered within 4 business
    hours") over contacts, promises or cases that started in the range: met, missed and
    pending per bucket, and the ten worst misses with their customers (an audited read)."""
    report = read_promises(engine, actor, settings, from_, to, period)
    if format == "csv":
        return Response(promises_csv(report), media_type="text/csv; charset=utf-8")
    return json_response(report)
