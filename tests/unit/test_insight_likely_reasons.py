from __future__ import annotations

import datetime as dt

from warmline.domain.insight.associations import (
    Associations,
    learn_associations,
    match_reason,
    signals,
)
from warmline.domain.insight.contact_context import (
    ContactContext,
    CustomerHistory,
    OpenCase,
    OpenCommitment,
    RecentActivity,
    RecentInteraction,
    context_at,
)
from warmline.domain.insight.likely_reasons import rank_likely_reasons

NOW = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def contact(reason: str, at: dt.datetime, outcome: str = "resolved") -> RecentInteraction:
    return RecentInteraction(reason, outcome, at + dt.timedelta(minutes=8), "voice", at)


def customer(n: int) -> CustomerHistory:
    """A declined card a few hours before a card_declined contact; other contacts alone."""
    start = NOW - dt.timedelta(days=400 - n)
    return CustomerHistory(
        activities=[RecentActivity("card.declined", start - dt.timedelta(hours=5))],
        interactions=[
            contact("card_declined", start),
            contact("change_address", start + 30 * DAY),
            contact("app_login_problem", start + 60 * DAY),
            contact("app_login_problem", start + 90 * DAY),
        ],
    )


def learned() -> Associations:
    return learn_associations(customer(n) for n in range(20))


def test_learning_counts_what_preceded_each_contact() -> None:
    a = learned()
    assert a.contacts == 80
    assert a.reasons == {"card_declined": 20, "change_address": 20, "app_login_problem": 40}
    assert a.direct == {"activity:card.declined": {"card_declined": 20}}
    assert a.seen == {"activity:card.declined": 20}
    assert a.lift("activity:card.declined", "card_declined") > 3
    assert a.lift("activity:card.declined", "app_login_problem") < 0.5
    assert a.lift("activity:never.seen", "card_declined") == 1.0
    assert a.strongest()[0][:3] == ("activity:card.declined", "card_declined", 20)


def test_associations_round_trip_through_json() -> None:
    a = learned()
    assert Associations.from_json(a.to_json()) == a


def test_a_recent_activity_leads_with_its_evidence() -> None:
    context = ContactContext(
        activities=[RecentActivity("card.declined", NOW - dt.timedelta(minutes=40))]
    )
    ranked = rank_likely_reasons(context, learned(), NOW)
    assert ranked[0].reason == "card_declined"
    assert [e.fact for e in ranked[0].evidence] == ["card declined 40 minutes ago"]
    assert ranked[0].score > 0.8
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    assert ranked[1].evidence[0].kind == "prior"
    assert ranked[1].evidence[0].fact == "50% of contacts are about this"


def test_old_activities_fade() -> None:
    fresh = ContactContext(
        activities=[RecentActivity("card.declined", NOW - dt.timedelta(hours=1))]
    )
    stale = ContactContext(activities=[RecentActivity("card.declined", NOW - 6 * DAY)])
    a = learned()
    fresh_score = rank_likely_reasons(fresh, a, NOW)[0].score
    stale_top = rank_likely_reasons(stale, a, NOW)
    stale_score = next(r.score for r in stale_top if r.reason == "card_declined")
    assert fresh_score > stale_score


def test_open_cases_promises_and_unresolved_contacts_name_their_facts() -> None:
    context = ContactContext(
        cases=[OpenCase("Card declined twice", "open", NOW - 2 * DAY)],
        commitments=[
            OpenCommitment("call back", NOW - dt.timedelta(hours=6), reason="change_address")
        ],
        interactions=[
            RecentInteraction("change_address", "unresolved", NOW - dt.timedelta(hours=2), "chat")
        ],
    )
    ranked = {r.reason: r for r in rank_likely_reasons(context, learned(), NOW)}
    assert [e.fact for e in ranked["card_declined"].evidence] == ["case 'Card declined twice' open"]
    assert [e.fact for e in ranked["change_address"].evidence] == [
        "promise 'call back' overdue by 6 hours",
        "last contact about this was unresolved (2 hours ago)",
    ]
    assert next(iter(ranked)) == "change_address"


def test_reasons_named_only_by_the_context_are_ranked_too() -> None:
    context = ContactContext(
        cases=[OpenCase("Mortgage query", "escalated", NOW - DAY, reason="mortgage_overpayment")]
    )
    ranked = rank_likely_reasons(context, learned(), NOW)
    assert ranked[0].reason == "mortgage_overpayment"
    assert ranked[0].evidence[0].fact == "case 'Mortgage query' escalated"


def test_no_history_no_ranking() -> None:
    assert rank_likely_reasons(ContactContext(), Associations(), NOW) == []
    assert len(rank_likely_reasons(ContactContext(), learned(), NOW, limit=2)) == 2


def test_context_at_cuts_history_at_the_moment() -> None:
    history = CustomerHistory(
        cases=[
            OpenCase("Old", "resolved", NOW - 9 * DAY, resolved_at=NOW - 8 * DAY),
            OpenCase("Open", "open", NOW - 3 * DAY),
            OpenCase("Later", "open", NOW + DAY),
        ],
        commitments=[
            OpenCommitment("kept", NOW - DAY, made_at=NOW - 2 * DAY, fulfilled_at=NOW - DAY),
            OpenCommitment("pending", NOW + DAY, made_at=NOW - DAY),
        ],
        activities=[
            RecentActivity("a.old", NOW - 60 * DAY),
            RecentActivity("a.recent", NOW - DAY),
            RecentActivity("a.future", NOW + DAY),
        ],
        interactions=[contact("x", NOW - 5 * DAY), contact("y", NOW + DAY)],
    )
    context = context_at(history, NOW)
    assert [c.title for c in context.cases] == ["Open"]
    assert [c.text for c in context.commitments] == ["pending"]
    assert [a.name for a in context.activities] == ["a.recent"]
    assert [i.reason for i in context.interactions] == ["x"]


def test_signals_and_title_matching() -> None:
    assert match_reason("Card declined twice", ["card_declined", "card_not_arrived"]) == (
        "card_declined"
    )
    assert match_reason("Something else entirely", ["card_declined"]) is None
    context = ContactContext(
        activities=[RecentActivity("payment.failed", NOW - 10 * DAY)],
        interactions=[RecentInteraction("x", "resolved", NOW - DAY, "chat")],
    )
    found = signals(context, NOW)
    assert [(s.kind, s.key, s.target) for s in found] == [("contact", "contact:closed", "x")]
