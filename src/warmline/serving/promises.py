"""Service promises against delivery, for a period: each promise met, missed or pending,
by bucket, and the worst misses with their customers. Measured from the memory when asked
(ranges up to a quarter)."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import Connection, Engine

from warmline.actions.audit import record_read
from warmline.config import Settings
from warmline.domain.access.roles import Actor
from warmline.domain.metrics.periods import PERIODS, bucket_of, buckets
from warmline.domain.promises.config import PromiseConfig, PromiseFileError, parse_config
from warmline.domain.promises.outcome import judge
from warmline.errors import InvalidRequest, Misconfigured
from warmline.serving.metrics import num_cell, text_cell
from warmline.storage import promise_queries as pq

MAX_DAYS = 92
WORST = 10


def load_promises(path: str) -> PromiseConfig:
    """The promises file, checked (re-read when it changes)."""
    file = Path(path)
    try:
        stamp = file.stat().st_mtime_ns
    except OSError as exc:
        raise Misconfigured(
            "promises_file_missing",
            f"the promises file {path} cannot be read ({exc.strerror})",
            hint="check WARMLINE_PROMISES_FILE, or unset it",
        ) from None
    return _parsed(str(file), stamp)


@functools.lru_cache(maxsize=4)
def _parsed(path: str, stamp: int) -> PromiseConfig:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise Misconfigured(
            "invalid_promises_file", f"{path}: not valid YAML ({exc})", hint="fix the YAML syntax"
        ) from None
    try:
        return parse_config(raw)
    except PromiseFileError as exc:
        raise Misconfigured(
            "invalid_promises_file", f"{path}: {exc.field}: {exc.problem}", hint=exc.fix
        ) from None


def check_range(
    first: dt.date | None, last: dt.date | None, today: dt.date
) -> tuple[dt.date, dt.date]:
    last = last or today
    if last >= dt.date.max:  # the day after it, where the range ends, does not exist
        raise InvalidRequest(
            "range_out_of_bounds", f"to ({last}) is the last day there is", hint="end it earlier"
        )
    # Thirty days to ``last``, or from the first day there is when ``last`` is earlier.
    first = first or last - min(dt.timedelta(days=29), last - dt.date.min)
    if first > last:
        raise InvalidRequest(
            "range_reversed", f"from ({first}) is after to ({last})", hint="swap them"
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidRequest(
            "range_too_long",
            f"promises are measured over {MAX_DAYS} days at most, not {(last - first).days + 1}",
            hint="ask for a quarter or less at a time",
        )
    return first, last


def promise_report(
    conn: Connection,
    config: PromiseConfig,
    first: dt.date,
    last: dt.date,
    period: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """Each promise's outcomes in ``first..last`` (by when it started), per bucket, with its
    worst misses."""
    if period not in PERIODS:
        raise InvalidRequest(
            "unknown_period", f"there is no period '{period[:20]}'", hint="day, week or month"
        )
    since = dt.datetime.combine(first, dt.time(), dt.UTC)
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC)
    reports: list[dict[str, Any]] = []
    customers: set[str] = set()
    for promise in config.promises:
        if promise.measure == "first_reply":
            rows = pq.first_replies(conn, since, until, promise.channel)
        elif promise.measure == "promise_kept":
            rows = pq.promises_made(conn, since, until)
        else:
            rows = pq.cases_opened(conn, since, until)
        if promise.match is not None:
            rows = [
                r for r in rows if promise.match.search(str(r.get("text") or r.get("external_id")))
            ]
        totals: Counter[str] = Counter()
        per: defaultdict[dt.date, Counter[str]] = defaultdict(Counter)
        misses = []
        for row in rows:
            outcome = judge(promise, config, row["start"], row["done_at"], now)
            totals[outcome.status] += 1
            per[bucket_of(row["start"].date(), period)][outcome.status] += 1
            if outcome.status == "missed":
                misses.append((outcome, row))
        misses.sort(key=lambda m: (-(m[0].margin or dt.timedelta()).total_seconds(), m[1]["id"]))
        worst = misses[:WORST]
        customers.update(r["customer_id"] for _, r in worst)
        reports.append(
            {
                "name": promise.name,
                "measure": promise.measure,
                "within": promise.within.words(),
                "channel": promise.channel,
                "total": _counts(totals),
                "points": [
                    {"bucket": b.isoformat(), **_counts(per.get(b, Counter()))}
                    for b in buckets(first, last, period)
                ],
                "worst_misses": [
                    {
                        "customer_id": r["customer_id"],
                        "what": r.get("external_id"),
                        "started_at": r["start"],
                        "deadline": o.deadline,
                        "done_at": o.done_at,
                        "late_by_hours": round(
                            (o.margin or dt.timedelta()).total_seconds() / 3600, 2
                        ),
                    }
                    for o, r in worst
                ],
            }
        )
    named = pq.names(conn, customers)
    for report in reports:
        for miss in report["worst_misses"]:
            miss["customer_name"] = named.get(miss["customer_id"])
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "period": period,
        "promises": reports,
    }


def _counts(c: Counter[str]) -> dict[str, Any]:
    judged = c["met"] + c["missed"]
    return {
        "met": c["met"],
        "missed": c["missed"],
        "pending": c["pending"],
        "kept_rate": round(c["met"] / judged, 4) if judged else None,
    }


def read_promises(
    engine: Engine,
    actor: Actor,
    settings: Settings,
    first: dt.date | None,
    last: dt.date | None,
    period: str,
) -> dict[str, Any]:
    """The report for the API and the desk; the customers of the worst misses are audited as
    one read (as a search is). Without a promises file: ``configured`` false, no promises."""
    now = dt.datetime.now(dt.UTC)
    first, last = check_range(first, last, now.date())
    if not settings.promises_file:
        return {
            "configured": False,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "promises": [],
        }
    config = load_promises(settings.promises_file)
    with engine.connect() as conn:
        report = promise_report(conn, config, first, last, period, now)
    shown = sorted({m["customer_id"] for p in report["promises"] for m in p["worst_misses"]})
    record_read(engine, actor, "promises.viewed", None, {"customers": shown})
    return {"configured": True, **report}


def promises_csv(report: dict[str, Any]) -> str:
    """A report as CSV: one line per promise and bucket, then one total per promise (the
    worst misses name customers and stay on the page and in the JSON)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["promise", report.get("period", "week"), "kept_rate", "met", "missed", "pending"]
    )
    rows = [(p, b["bucket"], b) for p in report["promises"] for b in p["points"]]
    rows += [(p, "total", p["total"]) for p in report["promises"]]
    for promise, bucket, c in rows:
        writer.writerow(
            [
                text_cell(promise["name"]),
                bucket,
                num_cell(c["kept_rate"]),
                c["met"],
                c["missed"],
                c["pending"],
            ]
        )
    return out.getvalue()
