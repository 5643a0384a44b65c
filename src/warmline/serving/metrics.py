"""Answering a metrics question from the rollups alone: which rows to read for the period,
how to add them up, and the answer as JSON or CSV (the API and the desk share both)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.engine import Connection

from warmline.domain.metrics.counters import RESOLUTION_BINS
from warmline.domain.metrics.dimensions import DIMENSIONS, describe_groupings, kept, mask_of
from warmline.domain.metrics.measures import MEASURES, Measure
from warmline.domain.metrics.periods import (
    MAX_BUCKETS,
    PERIODS,
    bucket_count,
    bucket_of,
    buckets,
    whole_months,
)
from warmline.errors import InvalidRequest
from warmline.storage import metrics_queries as mq

#: The range asked for when none is: the last 30 days.
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class MetricQuery:
    """A checked question: one measure, over ``first..last`` by ``period``, broken down
    ``by`` a dimension (or not), for the rows matching ``filters``."""

    measure: Measure
    first: dt.date
    last: dt.date
    period: str = "day"
    by: str | None = None
    filters: dict[str, str] = field(default_factory=dict)


def check_query(
    measure: str,
    *,
    by: str | None = None,
    first: dt.date | None = None,
    last: dt.date | None = None,
    period: str = "day",
    filters: Mapping[str, str | None] | None = None,
    today: dt.date | None = None,
) -> MetricQuery:
    """Check a question; raise :class:`InvalidRequest` with a stable code saying what to fix."""
    if measure not in MEASURES:
        raise InvalidRequest(
            "unknown_measure",
            f"there is no measure '{measure[:60]}'",
            hint=f"use one of: {', '.join(MEASURES)} (GET /v1/metrics/measures defines each)",
        )
    if by is not None and by not in DIMENSIONS:
        raise InvalidRequest(
            "unknown_dimension",
            f"metrics are not broken down by '{by[:60]}'",
            hint=f"use by= one of: {', '.join(DIMENSIONS)}, or leave it out",
        )
    if period not in PERIODS:
        raise InvalidRequest(
            "unknown_period",
            f"there is no period '{period[:20]}'",
            hint=f"use period= one of: {', '.join(PERIODS)}",
        )
    last = last or today or dt.datetime.now(dt.UTC).date()
    # (the first days of the calendar have no DEFAULT_DAYS before them)
    span = dt.timedelta(days=DEFAULT_DAYS - 1)
    first = first or max(last, dt.date.min + span) - span
    if first > last:
        raise InvalidRequest(
            "range_reversed",
            f"from ({first}) is after to ({last})",
            hint="swap them: from is the first day, to the last (both included)",
        )
    if bucket_count(first, last, period) > MAX_BUCKETS[period]:
        longer = next((p for p in PERIODS if bucket_count(first, last, p) <= MAX_BUCKETS[p]), None)
        raise InvalidRequest(
            "range_too_long",
            f"{first}..{last} is more than {MAX_BUCKETS[period]} {period}s",
            hint=f"ask by period={longer}" if longer else "ask for ten years or less at a time",
        )
    chosen = {k: v for k, v in (filters or {}).items() if v is not None}
    dims = set(chosen) | ({by} if by else set())
    if by in chosen:
        raise InvalidRequest(
            "dimension_filtered_and_grouped",
            f"{by} is both the breakdown and a filter",
            hint=f"drop the {by} filter, or break down by another dimension",
        )
    if not kept(dims):
        raise InvalidRequest(
            "dimensions_not_combined",
            f"figures by {' and '.join(sorted(dims))} together are not kept",
            hint="combine the breakdown and filters as one of: " + ", ".join(describe_groupings()),
        )
    return MetricQuery(MEASURES[measure], first, last, period, by, chosen)


def answer(conn: Connection, q: MetricQuery) -> dict[str, Any]:
    """The measure per bucket (and group), with totals; every bucket present, empty ones
    with zero counts.

    The rows read are summed into one integer array (group x bucket x counter) with
    numpy, and each distinct cell's figure computed once: an answer by agent and day has
    thousands of points but few distinct cells (most are empty or small counts).
    """
    counters = _counters(q.measure)
    width = len(counters)
    grouping = mask_of(set(q.filters) | ({q.by} if q.by else set()))
    every = list(buckets(q.first, q.last, q.period))
    position = {bucket: n for n, bucket in enumerate(every)}
    groups: dict[str | None, int] = {} if q.by else {None: 0}
    at_group: list[int] = []
    at_bucket: list[int] = []
    cells: list[tuple[Any, ...]] = []
    skip = 2 if q.by else 1
    places: dict[Any, int] = {}
    for period, first, last in _reads(q):
        rows = mq.rollup_rows(
            conn,
            grouping=grouping,
            period=period,
            first=first,
            last=last,
            filters=q.filters,
            by=q.by,
            counters=counters,
        )
        for row in rows:
            day = row[0]
            place = places.get(day)
            if place is None:
                place = places[day] = position[bucket_of(_as_date(day), q.period)]
            at_bucket.append(place)
            if q.by:
                index = groups.get(row[1])
                if index is None:
                    index = groups[row[1]] = len(groups)
                at_group.append(index)
            cells.append(row[skip:])
    cube = np.zeros((len(groups), len(every), width), dtype=np.int64)
    if cells:
        # Sums are integers (PostgreSQL's arrive as Decimal; numpy takes both exactly).
        np.add.at(
            cube,
            (np.asarray(at_group or [0] * len(cells)), np.asarray(at_bucket)),
            np.asarray(cells, dtype=np.int64),
        )
    totals = cube.sum(axis=1)
    figures: dict[tuple[int, ...], dict[str, Any]] = {}

    def figure(cell: list[int]) -> dict[str, Any]:
        key = tuple(cell)
        found = figures.get(key)
        if found is None:
            found = figures[key] = _figure(q.measure, cell, counters)
        return found

    isos = [bucket.isoformat() for bucket in every]
    series: list[dict[str, Any]] = []
    names: list[str | None] = sorted(groups, key=lambda g: g or "") if q.by else [None]
    for group in names:
        n = groups[group]
        total = totals[n].tolist()
        if q.by and not any(total):
            continue  # rows of other measures only: nothing of this one to show
        points = [
            {"bucket": iso, **figure(cell)}
            for iso, cell in zip(isos, cube[n].tolist(), strict=True)
        ]
        series.append({"group": group, "total": figure(total), "points": points})
    series.sort(key=lambda s: -s["total"]["count"])
    return {
        "measure": {
            "name": q.measure.name,
            "title": q.measure.title,
            "unit": q.measure.unit,
            "definition": q.measure.definition,
            "count": q.measure.count,
        },
        "from": q.first.isoformat(),
        "to": q.last.isoformat(),
        "period": q.period,
        "by": q.by,
        "filters": q.filters,
        "window_days": mq.repeat_window(conn).days,
        "total": _figure(q.measure, totals.sum(axis=0).tolist(), counters),
        "series": series,
    }


def _as_date(day: Any) -> dt.date:
    """A bucket as read (a date, or ISO text where the driver gives text)."""
    return day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10])


def _counters(measure: Measure) -> tuple[str, ...]:
    names = dict.fromkeys((measure.count, *measure.uses))
    if measure.unit == "hours":
        names.update(dict.fromkeys(RESOLUTION_BINS))
    return tuple(names)


def _figure(measure: Measure, cell: list[int], counters: tuple[str, ...]) -> dict[str, Any]:
    """One figure from counters summed in ``counters`` order."""
    named = dict(zip(counters, cell, strict=True))
    value = measure.value(named)
    return {
        "value": None if value is None else round(value, 4),
        "count": named.get(measure.count, 0),
        "counts": {name: n for name, n in named.items() if name not in RESOLUTION_BINS},
    }


def _reads(q: MetricQuery) -> list[tuple[str, dt.date, dt.date]]:
    """Which rows cover ``first..last``: month rows for whole months when asked by month,
    day rows for the rest."""
    if q.period != "month":
        return [("day", q.first, q.last)]
    months = whole_months(q.first, q.last)
    if months is None:
        return [("day", q.first, q.last)]
    start, last_whole = months
    reads = [("month", start, last_whole)]
    if q.first < start:
        reads.append(("day", q.first, start - dt.timedelta(days=1)))
    after = (last_whole.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    if after <= q.last:
        reads.append(("day", after, q.last))
    return reads


def measures_json() -> list[dict[str, Any]]:
    """Every measure with its definition (GET /v1/metrics/measures and docs/metrics.md)."""
    return [
        {
            "name": m.name,
            "title": m.title,
            "unit": m.unit,
            "definition": m.definition,
            "count": m.count,
        }
        for m in MEASURES.values()
    ]


def as_csv(body: Mapping[str, Any]) -> str:
    """An answer as CSV: one line per bucket and group, then one total per group."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    counts = list(body["total"]["counts"])
    writer.writerow(["bucket", body["by"] or "group", "value", "count", *counts])
    for s in body["series"]:
        group = text_cell(s["group"])
        for p in s["points"]:
            writer.writerow(
                [p["bucket"], group, num_cell(p["value"]), p["count"], *p["counts"].values()]
            )
    for s in body["series"]:
        total = s["total"]
        writer.writerow(
            [
                "total",
                text_cell(s["group"]),
                num_cell(total["value"]),
                total["count"],
                *total["counts"].values(),
            ]
        )
    return out.getvalue()


def num_cell(value: float | None) -> str:
    return "" if value is None else repr(value)


def text_cell(text: str | None) -> str:
    """A group name as a CSV cell: a leading =, +, - or @ would be run as a formula by a
    spreadsheet, so it is quoted with an apostrophe."""
    text = "" if text is None else text
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
