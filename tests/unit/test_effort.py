from __future__ import annotations

import datetime as dt

import pytest

from warmline.domain.effort.case_effort import (
    ContactRow,
    Effort,
    case_effort,
    effort_words,
    ordinal,
    times,
)

AT = dt.datetime(2026, 11, 22, 10, 2, tzinfo=dt.UTC)


def at(minutes: int) -> dt.datetime:
    return AT + dt.timedelta(minutes=minutes)


def test_miles_chat_then_call_then_card_team() -> None:
    # Chat in the app, a call four minutes later (explains again, re-verifies), and a
    # transfer from that call to the card team.
    rows = [
        ContactRow("voice", at(10), at(25), transfers=1, reverified=True, restatements=2),
        ContactRow("chat", at(0), at(6)),
    ]
    effort = case_effort(rows)
    assert effort == Effort(
        contacts=2, transfers=1, channel_switches=1, reverifications=1, restatements=1
    )
    assert effort_words(effort) == (
        "second contact about this, second time explaining it, transferred once, "
        "changed channel once, asked to verify again once"
    )


def test_third_contact_second_time_explaining() -> None:
    rows = [
        ContactRow("voice", at(0)),
        ContactRow("voice", at(60 * 24)),
        ContactRow("voice", at(60 * 48), restatements=1),
    ]
    effort = case_effort(rows)
    assert effort.channel_switches == 0
    assert effort_words(effort) == "third contact about this, second time explaining it"


def test_switches_count_changes_between_consecutive_contacts() -> None:
    rows = [ContactRow(c, at(i)) for i, c in enumerate(["chat", "chat", "voice", "chat", "email"])]
    assert case_effort(rows).channel_switches == 3


def test_first_contact_and_no_contact() -> None:
    assert effort_words(case_effort([ContactRow("chat", AT)])) == "first contact about this"
    assert case_effort([]) == Effort(0, 0, 0, 0, 0)
    assert effort_words(case_effort([])) == ""


def test_negative_transfer_counts_are_ignored() -> None:
    assert case_effort([ContactRow("chat", AT, transfers=-3)]).transfers == 0


@pytest.mark.parametrize(
    ("n", "word"),
    [
        (1, "first"),
        (3, "third"),
        (10, "tenth"),
        (11, "11th"),
        (12, "12th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (111, "111th"),
        (101, "101st"),
    ],
)
def test_ordinal(n: int, word: str) -> None:
    assert ordinal(n) == word


def test_times() -> None:
    assert [times(n) for n in (1, 2, 3)] == ["once", "twice", "3 times"]
