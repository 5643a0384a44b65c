"""The service-promises file, checked: every mistake names the field and what to write.

::

    calendar:
      country: GB            # a country the holidays package knows (ISO 3166)
      subdivision: ENG       # optional: a region with its own holidays
      timezone: Europe/London
      hours: {mon: "09:00-17:30", tue: "09:00-17:30", wed: "09:00-17:30",
              thu: "09:00-17:30", fri: "09:00-17:00"}   # days not listed are closed
    promises:
      - name: Email answered within 4 business hours
        measure: first_reply        # the customer's first message to the first reply
        channel: email
        within: 4 business hours
      - name: Callback within 1 business day
        measure: promise_kept       # a promise made to the customer, to its fulfilment
        match: call ?back           # which promises (a regular expression on their text)
        within: 1 business day
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from warmline.domain.promises.calendar import WEEKDAYS, BusinessCalendar, make_calendar

MEASURES = ("first_reply", "promise_kept", "case_resolved")
_DURATION = re.compile(
    r"^\s*(?P<n>-?\d+(?:\.\d+)?)\s+(?P<business>business\s+)?(?P<unit>minute|hour|day)s?\s*$",
    re.IGNORECASE,
)
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class PromiseFileError(ValueError):
    """A mistake in the promises file: where, what, and how to fix it."""

    def __init__(self, field: str, problem: str, fix: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem, self.fix = field, problem, fix


@dataclass(frozen=True)
class Duration:
    amount: float
    unit: str  # minute, hour or day
    business: bool

    def deadline(self, start: dt.datetime, calendar: BusinessCalendar) -> dt.datetime:
        if not self.business:
            return start + dt.timedelta(**{f"{self.unit}s": self.amount})
        if self.unit == "day":
            return calendar.add_days(start, int(self.amount))
        return calendar.add_hours(start, self.amount / 60 if self.unit == "minute" else self.amount)

    def words(self) -> str:
        amount = f"{self.amount:g}"
        plural = "" if amount == "1" else "s"
        return f"{amount} {'business ' if self.business else ''}{self.unit}{plural}"


@dataclass(frozen=True)
class Promise:
    name: str
    measure: str
    within: Duration
    channel: str | None = None
    match: re.Pattern[str] | None = None


@dataclass(frozen=True)
class PromiseConfig:
    calendar: BusinessCalendar
    promises: tuple[Promise, ...]


def parse_duration(text: Any, field: str) -> Duration:
    found = _DURATION.match(str(text)) if isinstance(text, str | int | float) else None
    if found is None:
        raise PromiseFileError(
            field,
            f"'{str(text)[:60]}' is not a duration",
            "write e.g. '4 business hours', '1 business day' or '30 minutes'",
        )
    amount = float(found["n"])
    if amount <= 0:
        raise PromiseFileError(
            field,
            f"the duration '{text}' is not positive",
            "a promise is kept within a positive time: write e.g. '4 business hours'",
        )
    unit, business = found["unit"].lower(), bool(found["business"])
    if business and unit == "day" and amount != int(amount):
        raise PromiseFileError(
            field,
            "business days must be whole",
            "write e.g. '1 business day' or '8 business hours'",
        )
    return Duration(amount, unit, business)


def _hours(raw: Any) -> dict[str, tuple[dt.time, dt.time]]:
    if not isinstance(raw, Mapping) or not raw:
        raise PromiseFileError(
            "calendar.hours",
            "missing or not a mapping",
            "write e.g. hours: {mon: '09:00-17:30', ...}",
        )
    out = {}
    for day, span in raw.items():
        field = f"calendar.hours.{day}"
        if day not in WEEKDAYS:
            raise PromiseFileError(field, f"'{day}' is not a weekday", f"use {', '.join(WEEKDAYS)}")
        found = _SPAN.match(str(span))
        if found is None:
            raise PromiseFileError(
                field, f"'{span}' is not a span of hours", "write e.g. '09:00-17:30'"
            )
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        try:
            start, end = dt.time(h1, m1), dt.time(h2, m2)
        except ValueError:
            raise PromiseFileError(
                field, f"'{span}' is not a time of day", "hours run 00:00-23:59"
            ) from None
        if end <= start:
            raise PromiseFileError(
                field, f"'{span}' closes before it opens", "write the opening time first"
            )
        out[str(day)] = (start, end)
    return out


def parse_config(raw: Any) -> PromiseConfig:
    """The promises file's content (as YAML gives it), checked."""
    if not isinstance(raw, Mapping):
        raise PromiseFileError(
            "(top)", "the file is not a mapping", "start with 'calendar:' and 'promises:'"
        )
    cal = raw.get("calendar")
    if not isinstance(cal, Mapping):
        raise PromiseFileError(
            "calendar", "missing", "add calendar: with country, timezone and hours"
        )
    hours = _hours(cal.get("hours"))
    try:
        calendar = make_calendar(
            str(cal.get("timezone", "UTC")),
            hours,
            str(cal.get("country", "")),
            cal.get("subdivision"),
        )
    except LookupError as exc:
        field = "calendar.timezone" if "time zone" in str(exc) else "calendar.country"
        raise PromiseFileError(
            field,
            f"unknown calendar: {exc}",
            "use an IANA time zone (Europe/London) and a country the holidays package "
            "knows (GB, with subdivision ENG)",
        ) from None
    items = raw.get("promises")
    if not isinstance(items, list) or not items:
        raise PromiseFileError(
            "promises",
            "missing or empty",
            "list at least one promise with name, measure and within",
        )
    promises = []
    for n, item in enumerate(items):
        at = f"promises[{n}]"
        if not isinstance(item, Mapping) or not item.get("name"):
            raise PromiseFileError(
                at, "needs a name", "add name: e.g. 'Email answered within 4 business hours'"
            )
        measure = item.get("measure")
        if measure not in MEASURES:
            raise PromiseFileError(
                f"{at}.measure",
                f"'{measure}' is not a measure",
                f"use one of {', '.join(MEASURES)}",
            )
        pattern = None
        if item.get("match") is not None:
            try:
                pattern = re.compile(str(item["match"]), re.IGNORECASE)
            except re.error as exc:
                raise PromiseFileError(
                    f"{at}.match", f"not a regular expression ({exc})", "e.g. 'call ?back'"
                ) from None
        promises.append(
            Promise(
                str(item["name"])[:200],
                str(measure),
                parse_duration(item.get("within"), f"{at}.within"),
                str(item["channel"]) if item.get("channel") else None,
                pattern,
            )
        )
    return PromiseConfig(calendar, tuple(promises))
