"""The risk score on plain data: signals, weights, recency and how they combine."""

from __future__ import annotations

import datetime as dt

from warmline.domain.risk import RiskInputs, assess
from warmline.domain.risk.signals import WEIGHTS, warning_activities

NOW = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)


def promise(
    days_overdue: float, status: str = "open", made_by: str | None = "sofia"
) -> dict[str, object]:
    due = NOW - dt.timedelta(days=days_overdue)
    return {
        "id": f"p{days_overdue}",
        "text": "Call back",
        "due_at": due,
        "status": status,
        "fulfilled_at": None,
        "made_by": made_by,
    }


def test_signals_combine_as_independent_chances_and_old_ones_count_half() -> None:
    one = assess(RiskInputs(promises=[promise(2)]), NOW)
    assert one.score == round(100 * WEIGHTS["broken_promise"][0])
    two = assess(RiskInputs(promises=[promise(2), promise(3)]), NOW)
    assert two.score == round(100 * (1 - (1 - WEIGHTS["broken_promise"][0]) ** 2))
    old = assess(RiskInputs(promises=[promise(45)]), NOW)
    assert old.score == round(100 * WEIGHTS["broken_promise"][0] / 2)
    assert one.owner == "sofia"
    assert assess(RiskInputs(promises=[promise(-1)]), NOW).review_at == NOW + dt.timedelta(days=1)
    assert assess(RiskInputs(), NOW).score == 0


def test_warning_activities_match_names_with_dots_read_as_underscores() -> None:
    rows = [
        {"id": "a1", "name": "web.cancellation_page_viewed", "summary": None, "occurred_at": NOW},
        {
            "id": "a2",
            "name": "payments.direct_debit.cancelled",
            "summary": "Gym",
            "occurred_at": NOW,
        },
        {"id": "a3", "name": "card.page_viewed", "summary": None, "occurred_at": NOW},
    ]
    found = warning_activities(rows, ["cancellation_page_viewed", "direct_debit_cancelled"], NOW)
    assert sorted(s.source_id or "" for s in found) == ["a1", "a2"]


def test_complaint_language_is_quoted_and_bounded() -> None:
    words = "I want to complain. " + "x" * 500
    messages = [{"id": "m1", "text": words, "sent_at": NOW - dt.timedelta(days=1)}]
    risk = assess(RiskInputs(messages=messages), NOW)
    assert [s.name for s in risk.signals] == ["complaint_language"]
    assert len(risk.signals[0].evidence) < 140 and risk.last_words and len(risk.last_words) <= 280
    calm = [{"id": "m2", "text": "Thanks, all sorted", "sent_at": NOW}]
    assert assess(RiskInputs(messages=calm), NOW).score == 0
