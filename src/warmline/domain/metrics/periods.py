"""Periods: the buckets a range is split into, and how long a range each may cover."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

PERIODS = ("day", "week", "month")
#: Most buckets one answer may hold: a year by day, two years by week, ten by month.
MAX_BUCKETS = {"day": 366, "week": 105, "month": 120}


def bucket_of(day: dt.date, period: str) -> dt.date:
    """The first day of the bucket ``day`` falls in (weeks start on Monday)."""
    if period == "day":
        return day
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def next_bucket(start: dt.date, period: str) -> dt.date:
    if period == "day":
        return start + dt.timedelta(days=1)
    if period == "week":
        return start + dt.timedelta(days=7)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def buckets(first: dt.date, last: dt.date, period: str) -> Iterator[dt.date]:
    """Every bucket from the one holding ``first`` to the one holding ``last``."""
    start = bucket_of(first, period)
    while start <= last:
        yield start
        start = next_bucket(start, period)


def bucket_count(first: dt.date, last: dt.date, period: str) -> int:
    if period == "day":
        return (last - first).days + 1
    if period == "week":
        return (bucket_of(last, "week") - bucket_of(first, "week")).days // 7 + 1
    return (last.year - first.year) * 12 + last.month - first.month + 1


def whole_months(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date] | None:
    """The first days of the first and last whole months within ``first..last``, or None."""
    start = first if first.day == 1 else next_bucket(first.replace(day=1), "month")
    end_next = next_bucket(last.replace(day=1), "month")
    last_whole = last.replace(day=1) if last + dt.timedelta(days=1) == end_next else None
    if last_whole is None:
        last_whole = (last.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return (start, last_whole) if start <= last_whole else None
