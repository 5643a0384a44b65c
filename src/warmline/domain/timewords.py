"""Times in the words an agent reads at a glance: '4 minutes ago', 'yesterday', 'in 3 hours'."""

from __future__ import annotations

import datetime as dt


def ago(when: dt.datetime, now: dt.datetime) -> str:
    """How long before ``now`` ``when`` was, in words."""
    seconds = (now - when).total_seconds()
    if seconds < 0:
        return "just now" if seconds > -60 else "in the future"
    return _span(seconds, past=True, when=when, now=now)


def until(when: dt.datetime, now: dt.datetime) -> str:
    """'due in 3 hours' / 'overdue by 2 days' style wording for a deadline."""
    seconds = (when - now).total_seconds()
    if seconds >= 0:
        return "due " + _span(seconds, past=False, when=when, now=now)
    return "overdue by " + _amount(-seconds)


def duration(delta: dt.timedelta) -> str:
    """How long ``delta`` is, in words ('2 days', '4 minutes')."""
    return _amount(delta.total_seconds())


def _span(seconds: float, *, past: bool, when: dt.datetime, now: dt.datetime) -> str:
    if seconds < 60:
        return "just now" if past else "now"
    days = (now.date() - when.date()).days if past else (when.date() - now.date()).days
    if seconds >= 6 * 3600 and days == 1:
        return "yesterday" if past else "tomorrow"
    amount = _amount(seconds)
    return f"{amount} ago" if past else f"in {amount}"


def _amount(seconds: float) -> str:
    for size, unit in (
        (365.25 * 86400, "year"),
        (30.44 * 86400, "month"),
        (7 * 86400, "week"),
        (86400, "day"),
        (3600, "hour"),
        (60, "minute"),
    ):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'' if n == 1 else 's'}"
    return "less than a minute"


def years_between(since: dt.date, today: dt.date) -> int:
    """Whole years from ``since`` to ``today`` (tenure)."""
    years = today.year - since.year
    if (today.month, today.day) < (since.month, since.day):
        years -= 1
    return max(years, 0)
