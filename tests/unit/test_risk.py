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


def contact(
    n: int, days_ago: float, *, outcome: str | None = "resolved", reason: str | None = "card_lost"
) -> dict[str, object]:
    return {
        "id": f"i{n}",
        "source": "test",
        "channel": "chat",
        "started_at": NOW - dt.timedelta(days=days_ago),
        "agent_id": "sofia",
        "queue": "cards",
        "reason": reason,
        "predicted_reason": None,
        "mood": None,
        "outcome": outcome,
        "transfers": 0,
        "case_id": None,
        "verified_by": None,
    }


def test_contacts_left_open_warn_until_a_later_contact_about_the_same_reason_resolves() -> None:
    open_one = assess(RiskInputs(interactions=[contact(1, 3, outcome="unresolved")]), NOW)
    assert [s.name for s in open_one.signals] == ["unresolved"]
    assert open_one.score == round(100 * WEIGHTS["unresolved"][0])
    assert (
        "card lost" in open_one.signals[0].evidence and "unresolved" in open_one.signals[0].evidence
    )
    put_right = [contact(1, 3, outcome="abandoned"), contact(2, 1)]
    assert [s.name for s in assess(RiskInputs(interactions=put_right), NOW).signals] == [
        "repeat_contacts"
    ]
    # Another reason resolved does not close it; a plan (follow-up, escalation) is no warning.
    other = [contact(1, 3, outcome="unresolved"), contact(2, 1, reason="payment_failed")]
    assert [s.name for s in assess(RiskInputs(interactions=other), NOW).signals] == ["unresolved"]
    planned = [
        contact(1, 3, outcome="follow_up"),
        contact(2, 2, outcome="escalated", reason="payment_failed"),
    ]
    assert assess(RiskInputs(interactions=planned), NOW).score == 0


def mood(dominant: str, start: float, end: float | None) -> dict[str, object]:
    return {
        "at": None,
        "dominant": dominant,
        "start": start,
        "end": end,
        "ending": None,
        "evidence": [],
        "feeling": dominant,
        "level": end if end is not None else start,
        "line": None,
        "messages": 2,
        "strength": 0.5,
        "sure": None,
        "trend": "steady",
        "words": dominant,
    }


def test_a_worried_opening_that_ends_well_is_not_frustration() -> None:
    worried = contact(1, 2) | {"mood": mood("fear", -0.6, 0.5)}
    assert assess(RiskInputs(interactions=[worried]), NOW).score == 0
    ended_badly = contact(2, 2) | {"mood": mood("neutral", 0.1, -0.7)}
    risk = assess(RiskInputs(interactions=[ended_badly]), NOW)
    assert [s.name for s in risk.signals] == ["frustrated"]
    # With no reading of the end, the feeling that dominated the contact decides.
    unread = contact(3, 2) | {"mood": mood("frustration", -0.5, None)}
    assert [s.name for s in assess(RiskInputs(interactions=[unread]), NOW).signals] == [
        "frustrated"
    ]


def test_evidence_says_how_long_ago_in_the_desk_s_words() -> None:
    # A contact minutes old is not "1 hour ago"; a promise missed yesterday says so.
    minutes_old = contact(1, 5 / 1440, outcome="unresolved")
    assert "a contact about card lost 5 minutes ago ended unresolved" in (
        assess(RiskInputs(interactions=[minutes_old]), NOW).signals[0].evidence
    )
    days_old = contact(1, 3, outcome="unresolved")
    assert "3 days ago" in assess(RiskInputs(interactions=[days_old]), NOW).signals[0].evidence
