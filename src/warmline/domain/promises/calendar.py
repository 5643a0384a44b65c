"""Business time: opening hours per weekday in a time zone, public holidays from the
``holidays`` package, and adding business hours or days to a moment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: How far ahead a deadline is looked for before giving up (a calendar with no open day).
HORIZON_DAYS = 370


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours (local times per weekday, closed when absent) and holidays."""

    zone: ZoneInfo
    hours: Mapping[int, tuple[dt.time, dt.time]]
    holidays: holidays.HolidayBase = field(repr=False)

    def opening(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """When ``day`` opens and closes (UTC), or None when closed."""
        if day in self.holidays or day.weekday() not in self.hours:
            return None
        start, end = self.hours[day.weekday()]
        local = (
            dt.datetime.combine(day, start, self.zone),
            dt.datetime.combine(day, end, self.zone),
        )
        return local[0].astimezone(dt.UTC), local[1].astimezone(dt.UTC)

    def _local_day(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.zone).date()

    def add_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment ``hours`` of open time after ``start`` (closed time does not count)."""
        left = dt.timedelta(hours=hours)
        day = self._local_day(start)
        for _ in range(HORIZON_DAYS):
            window = self.opening(day)
            if window is not None:
                begin = max(window[0], start)
                if begin < window[1]:
                    if begin + left <= window[1]:
                        return begin + left
                    left -= window[1] - begin
            day += dt.timedelta(days=1)
        raise ValueError("the calendar has no opening hours within a year")

    def add_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """The same time of day ``days`` open days later (from the next opening when
        ``start`` is outside opening hours), at the latest that day's closing time."""
        day = self._local_day(start)
        window = self.opening(day)
        if window is None or start >= window[1]:
            start = self.add_hours(start, 0)  # the next opening
            day = self._local_day(start)
        elif start < window[0]:
            start = window[0]
        clock = start.astimezone(self.zone).timetz().replace(tzinfo=None)
        counted = 0
        for _ in range(HORIZON_DAYS):
            day += dt.timedelta(days=1)
            window = self.opening(day)
            if window is None:
                continue
            counted += 1
            if counted == days:
                wanted = dt.datetime.combine(day, clock, self.zone).astimezone(dt.UTC)
                return min(max(wanted, window[0]), window[1])
        raise ValueError("the calendar has no opening hours within a year")


def make_calendar(
    zone: str, hours: Mapping[str, tuple[dt.time, dt.time]], country: str, subdivision: str | None
) -> BusinessCalendar:
    """A calendar; raises ``LookupError`` for an unknown zone, country or subdivision."""
    try:
        tz = ZoneInfo(zone)
    except (KeyError, ValueError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise LookupError(f"unknown time zone '{zone}'") from exc
    try:
        public = holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError as exc:
        raise LookupError(str(exc)) from exc
    return BusinessCalendar(tz, {WEEKDAYS.index(d): span for d, span in hours.items()}, public)
