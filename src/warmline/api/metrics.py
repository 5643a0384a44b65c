"""GET /v1/metrics: the measures customers feel, from the rollups, by period and dimension."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from warmline.actions.derived import bring_up_to_date
from warmline.domain.access.roles import Actor, Permission
from warmline.serving.deps import EngineDep, require
from warmline.serving.metrics import answer, as_csv, check_query, measures_json
from warmline.serving.responses import json_response

router = APIRouter(tags=["metrics"])

Value = Annotated[str | None, Query(max_length=100)]


@router.get(
    "/v1/metrics",
    summary="A measure by period, broken down and filtered",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
def get_metrics(
    engine: EngineDep,
    _actor: Annotated[Actor, Depends(require(Permission.READ_METRICS))],
    measure: Annotated[str, Query(max_length=60, description="see GET /v1/metrics/measures")],
    by: Annotated[
        str | None, Query(max_length=20, description="channel, team, reason, segment or agent")
    ] = None,
    from_: Annotated[
        dt.date | None,
        Query(alias="from", description="first day (UTC), default 29 days before to"),
    ] = None,
    to: Annotated[
        dt.date | None, Query(description="last day (UTC), included; default today")
    ] = None,
    period: Annotated[str, Query(max_length=10, description="day, week or month")] = "day",
    channel: Value = None,
    team: Value = None,
    reason: Value = None,
    segment: Value = None,
    agent: Value = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """The value of one measure per bucket of the period, for each value of ``by`` (or in
    total), over the rows matching the filters, answered from rollups kept at ingest.
    Each figure carries the count it was measured over and the counters behind it; a
    bucket with nothing to measure has count 0 and value null."""
    query = check_query(
        measure,
        by=by,
        first=from_,
        last=to,
        period=period,
        filters={
            "channel": channel,
            "team": team,
            "reason": reason,
            "segment": segment,
            "agent": agent,
        },
    )
    bring_up_to_date(engine)  # the contacts started just before count
    with engine.connect() as conn:
        body = answer(conn, query)
    if format == "csv":
        return Response(as_csv(body), media_type="text/csv; charset=utf-8")
    return json_response(body)


@router.get("/v1/metrics/measures", summary="Every measure and its definition")
def get_measures(
    _actor: Annotated[Actor, Depends(require(Permission.READ_METRICS))],
) -> Response:
    return json_response({"measures": measures_json()})
