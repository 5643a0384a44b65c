"""Service promises on plain data: business hours and holidays, and a promises file whose
mistakes are named by field with the fix."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml

from warmline.domain.promises.config import PromiseFileError, parse_config
from warmline.domain.promises.outcome import judge

FILE: dict[str, Any] = yaml.safe_load(
    """
calendar:
  country: GB
  subdivision: ENG
  timezone: Europe/London
  hours: {mon: "09:00-17:30", tue: "09:00-17:30", wed: "09:00-17:30", thu: "09:00-17:30",
          fri: "09:00-17:00"}
promises:
  - name: Email answered within 4 business hours
    measure: first_reply
    channel: email
    within: 4 business hours
  - {name: Callback within 1 business day, measure: promise_kept, match: "call ?back",
     within: 1 business day}
"""
)


def london(*args: int) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime(*args, tzinfo=ZoneInfo("Europe/London")).astimezone(dt.UTC)


def test_business_hours_skip_nights_weekends_and_bank_holidays() -> None:
    config = parse_config(FILE)
    email, callback = config.promises
    # Friday 15:00 + 4 business hours: 2 h on Friday, 2 h from Monday 09:00.
    assert email.within.deadline(london(2026, 11, 27, 15), config.calendar) == london(
        2026, 11, 30, 11
    )
    # Thursday 24 December 16:00: 1.5 h that day; Christmas (Friday) and Boxing Day (moved
    # to Monday 28) are holidays, so the other 2.5 h run on Tuesday 29 from 09:00.
    assert email.within.deadline(london(2026, 12, 24, 16), config.calendar) == london(
        2026, 12, 29, 11, 30
    )
    # A callback promised on Friday evening: due by Tuesday morning's opening time plus a day.
    assert callback.within.deadline(london(2026, 11, 27, 19), config.calendar) == london(
        2026, 12, 1, 9
    )
    outcome = judge(
        email, config, london(2026, 11, 27, 15), london(2026, 11, 30, 12), london(2026, 12, 1, 9)
    )
    assert (outcome.status, outcome.margin) == ("missed", dt.timedelta(hours=1))
    assert (
        judge(email, config, london(2026, 11, 27, 15), None, london(2026, 11, 30, 10)).status
        == "pending"
    )


@pytest.mark.parametrize(
    ("change", "field", "fix"),
    [
        ({"within": "-4 business hours"}, "promises[0].within", "positive"),
        ({"within": "soon"}, "promises[0].within", "4 business hours"),
        ({"measure": "vibes"}, "promises[0].measure", "first_reply"),
    ],
)
def test_a_bad_promise_is_named_by_field_with_the_fix(
    change: dict[str, str], field: str, fix: str
) -> None:
    bad = {**FILE, "promises": [{**FILE["promises"][0], **change}]}
    with pytest.raises(PromiseFileError) as caught:
        parse_config(bad)
    assert caught.value.field == field and fix in caught.value.fix + str(caught.value)


def test_an_unknown_calendar_is_refused() -> None:
    for change, field in (
        ({"country": "XX"}, "calendar.country"),
        ({"timezone": "Mars/Olympus"}, "calendar.timezone"),
        ({"subdivision": "ZZZ"}, "calendar.country"),
    ):
        with pytest.raises(PromiseFileError) as caught:
            parse_config({**FILE, "calendar": {**FILE["calendar"], **change}})
        assert caught.value.field == field
        assert "unknown calendar" in caught.value.problem
    with pytest.raises(PromiseFileError, match="closes before it opens"):
        parse_config({**FILE, "calendar": {**FILE["calendar"], "hours": {"mon": "17:00-09:00"}}})
