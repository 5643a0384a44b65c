"""The supervisors' pages: the metrics with charts and tables (each table exported as the
API's CSV), and the at-risk queue with outreach."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from warmline.actions.derived import bring_up_to_date
from warmline.actions.outreach import record_outreach
from warmline.domain.access.roles import Permission
from warmline.domain.metrics.dimensions import kept
from warmline.domain.metrics.measures import MEASURES
from warmline.domain.metrics.periods import PERIODS
from warmline.errors import InvalidRequest
from warmline.events import CHANNELS
from warmline.serving.access import access_customer
from warmline.serving.deps import EngineDep, SettingsDep
from warmline.serving.metrics import MetricQuery, answer, as_csv, check_query
from warmline.serving.promises import promises_csv, read_promises
from warmline.serving.risk import at_risk_queue
from warmline.storage import metrics_queries as mq
from warmline.web.pages import DeskActor, desk_form, render, require_on_desk

router = APIRouter(prefix="/desk", include_in_schema=False)

#: The breakdowns the page charts, in order.
BREAKDOWNS = ("channel", "team", "reason", "segment", "agent")
#: The filters the page offers.
FILTERS = ("team", "channel", "reason")
Filter = Annotated[str | None, Query(max_length=100)]


def _query(
    measure: str,
    period: str,
    first: dt.date | None,
    last: dt.date | None,
    filters: dict[str, str | None],
    by: str | None = None,
) -> MetricQuery:
    return check_query(
        measure,
        by=by,
        first=first,
        last=last,
        period=period,
        filters={k: v or None for k, v in filters.items()},
    )


@router.get("/metrics")
def metrics_page(
    engine: EngineDep,
    actor: DeskActor,
    measure: Annotated[str, Query(max_length=60)] = "first_contact_resolution",
    period: Annotated[str, Query(max_length=10)] = "day",
    from_: Annotated[dt.date | None, Query(alias="from")] = None,
    to: Annotated[dt.date | None, Query()] = None,
    team: Filter = None,
    channel: Filter = None,
    reason: Filter = None,
) -> HTMLResponse:
    require_on_desk(actor, Permission.READ_METRICS)
    filters = {"team": team, "channel": channel, "reason": reason}
    trend_query = _query(measure, period, from_, to, filters)
    chosen = set(trend_query.filters)
    bring_up_to_date(engine)  # the contacts started just before count
    with engine.connect() as conn:
        trend = answer(conn, trend_query)
        breakdowns = []
        for by in BREAKDOWNS:
            if by in chosen or not kept(chosen | {by}):
                continue
            breakdowns.append(
                answer(
                    conn, _query(measure, period, trend_query.first, trend_query.last, filters, by)
                )
            )
        options = {d: mq.dimension_values(conn, d) for d in FILTERS}
    params = {
        "measure": measure,
        "period": period,
        "from": trend["from"],
        "to": trend["to"],
        **trend_query.filters,
    }
    return render(
        "metrics.html",
        actor=actor,
        trend=trend,
        breakdowns=breakdowns,
        chart_data=orjson.dumps(_chart(trend, breakdowns)).decode(),
        measures=list(MEASURES.values()),
        periods=PERIODS,
        options=options,
        params=params,
        skipped=[b for b in BREAKDOWNS if b not in chosen and not kept(chosen | {b})],
    )


def _chart(trend: dict[str, Any], breakdowns: list[dict[str, Any]]) -> dict[str, Any]:
    """What the page's script draws: the trend line and a bar per group of each breakdown."""
    points = trend["series"][0]["points"] if trend["series"] else []
    return {
        "unit": trend["measure"]["unit"],
        "title": trend["measure"]["title"],
        "trend": {"labels": [p["bucket"] for p in points], "values": [p["value"] for p in points]},
        "breakdowns": {
            b["by"]: {
                "labels": [s["group"] or "(none)" for s in b["series"][:12]],
                "values": [s["total"]["value"] for s in b["series"][:12]],
            }
            for b in breakdowns
        },
    }


@router.get("/metrics.csv")
def metrics_csv(
    engine: EngineDep,
    actor: DeskActor,
    measure: Annotated[str, Query(max_length=60)],
    period: Annotated[str, Query(max_length=10)] = "day",
    from_: Annotated[dt.date | None, Query(alias="from")] = None,
    to: Annotated[dt.date | None, Query()] = None,
    by: Annotated[str | None, Query(max_length=20)] = None,
    team: Filter = None,
    channel: Filter = None,
    reason: Filter = None,
) -> Response:
    """A table of the page as CSV: the same text as ``GET /v1/metrics?format=csv``."""
    require_on_desk(actor, Permission.READ_METRICS)
    query = _query(
        measure, period, from_, to, {"team": team, "channel": channel, "reason": reason}, by
    )
    bring_up_to_date(engine)
    with engine.connect() as conn:
        body = answer(conn, query)
    name = f"warmline-{measure}{'-by-' + by if by else ''}-{body['from']}-{body['to']}.csv"
    return Response(
        as_csv(body),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/at-risk")
def at_risk_page(engine: EngineDep, settings: SettingsDep, actor: DeskActor) -> HTMLResponse:
    require_on_desk(actor, Permission.WORK_AT_RISK)
    queue = at_risk_queue(engine, actor, threshold=settings.risk_threshold)
    return render(
        "at_risk.html",
        actor=actor,
        queue=queue,
        threshold=settings.risk_threshold,
        channels=CHANNELS,
    )


@router.post("/at-risk/{customer_id}/outreach")
async def outreach(
    customer_id: str, request: Request, engine: EngineDep, settings: SettingsDep, actor: DeskActor
) -> HTMLResponse:
    require_on_desk(actor, Permission.WORK_AT_RISK)
    form = await desk_form(request)
    channel = form.get("channel", "voice")
    if channel not in CHANNELS:
        raise InvalidRequest("invalid_channel", f"no channel '{channel[:20]}'")

    def record() -> dict[str, Any]:
        with engine.connect() as conn:
            live = access_customer(conn, engine, actor, customer_id, "at_risk.opened", by="desk")
        return record_outreach(
            engine, actor, live, channel=channel, note=form.get("note"), settings=settings
        )

    done = await run_in_threadpool(record)
    return render("outreach_done.html", done=done, channel=channel)


@router.get("/promises")
def promises_page(
    engine: EngineDep,
    settings: SettingsDep,
    actor: DeskActor,
    from_: Annotated[dt.date | None, Query(alias="from")] = None,
    to: Annotated[dt.date | None, Query()] = None,
    period: Annotated[str, Query(max_length=10)] = "week",
) -> HTMLResponse:
    require_on_desk(actor, Permission.READ_METRICS)
    report = read_promises(engine, actor, settings, from_, to, period)
    return render("promises.html", actor=actor, report=report)


@router.get("/promises.csv")
def promises_csv_page(
    engine: EngineDep,
    settings: SettingsDep,
    actor: DeskActor,
    from_: Annotated[dt.date | None, Query(alias="from")] = None,
    to: Annotated[dt.date | None, Query()] = None,
    period: Annotated[str, Query(max_length=10)] = "week",
) -> Response:
    """The promises page's tables as CSV: the same text as ``GET /v1/promises?format=csv``."""
    require_on_desk(actor, Permission.READ_METRICS)
    report = read_promises(engine, actor, settings, from_, to, period)
    name = f"warmline-promises-{report['from']}-{report['to']}.csv"
    return Response(
        promises_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
