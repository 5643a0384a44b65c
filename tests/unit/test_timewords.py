from __future__ import annotations

import datetime as dt

import pytest

from warmline.domain.timewords import ago, until, years_between

NOW = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (dt.timedelta(seconds=20), "just now"),
        (dt.timedelta(minutes=4), "4 minutes ago"),
        (dt.timedelta(minutes=61), "1 hour ago"),
        (dt.timedelta(hours=20), "yesterday"),
        (dt.timedelta(days=3), "3 days ago"),
        (dt.timedelta(days=800), "2 years ago"),
    ],
)
def test_ago(delta: dt.timedelta, words: str) -> None:
    assert ago(NOW - delta, NOW) == words


def test_until_says_due_or_overdue() -> None:
    assert until(NOW + dt.timedelta(hours=3), NOW) == "due in 3 hours"
    assert until(NOW - dt.timedelta(days=2, hours=1), NOW) == "overdue by 2 days"


def test_tenure_counts_whole_years() -> None:
    assert years_between(dt.date(2016, 11, 25), NOW.date()) == 9
    assert years_between(dt.date(2016, 11, 24), NOW.date()) == 10
