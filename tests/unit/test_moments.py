"""Moment rules: checked when loaded, and the cues they make (at most three, the sensitive
ones silencing celebrations and offers)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from warmline.domain.moments.cues import moment_cues
from warmline.domain.moments.rules import RulesError, parse_rules
from warmline.domain.profile.traits import Fact, fold_facts

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
SHIPPED = Path(__file__).parents[2] / "src" / "warmline" / "defaults" / "moments.yaml"


def rules(*items: dict[str, Any], **extra: Any) -> Any:
    return parse_rules({"rules": list(items), **extra}, "moments.yaml", NOW.date())


def activity(name: str, days_ago: float, **attributes: Any) -> dict[str, Any]:
    return {
        "name": name,
        "summary": None,
        "attributes": attributes,
        "source": "loans",
        "occurred_at": NOW - dt.timedelta(days=days_ago),
    }


def problems_of(*items: dict[str, Any], **extra: Any) -> dict[str, str]:
    with pytest.raises(RulesError) as caught:
        rules(*items, **extra)
    return dict(caught.value.problems)


def test_rules_with_problems_are_refused_each_saying_where_and_what_to_do() -> None:
    found = problems_of(
        {"id": "a", "kind": "celebration", "when": {"activity": "loan.aproved"}, "cue": "x"},
        {"id": "b", "kind": "party", "when": {"birthday": True}, "cue": "x", "days": -3},
        {"id": "c", "kind": "sales", "when": {"anniversary": "customer_since"}, "cue": "{nope}",
         "until": "2020-01-01"},
    )  # fmt: skip
    assert "did you mean 'loan.approved'" in found["rules[0].when.activity"]
    assert "declare it under activities" in found["rules[0].when.activity"]
    assert "'party' is not one of" in found["rules[1].kind"]
    assert "got -3" in found["rules[1].days"]
    assert "2020-01-01 has passed" in found["rules[2].until"]
    assert "cannot fill nope" in found["rules[2].cue"]


def test_rules_that_silence_each_other_in_a_loop_are_refused() -> None:
    found = problems_of(
        {"id": "a", "kind": "service", "when": {"birthday": True}, "cue": "x", "suppresses": ["b"]},
        {"id": "b", "kind": "sales", "when": {"birthday": True}, "cue": "y",
         "suppresses": ["service"]},
    )  # fmt: skip
    assert any("loop" in what for what in found.values())


def test_a_declared_activity_is_known() -> None:
    loaded = rules(
        {"id": "t", "kind": "service", "when": {"activity": "loan.top_up"}, "cue": "{amount}"},
        activities=["loan.top_up"],
    )
    assert loaded.activity_names == {"loan.top_up"}


def shipped() -> Any:
    return parse_rules(yaml.safe_load(SHIPPED.read_text()), str(SHIPPED), NOW.date())


def test_a_car_loan_cues_happy_driving_with_its_reason_source_and_end() -> None:
    cues = moment_cues(shipped(), {}, [activity("loan.approved", 3, purpose="car")], None, NOW)
    assert [c["rule"] for c in cues] == ["happy_driving"]
    cue = cues[0]
    assert cue["text"] == "Car loan approved 3 days ago: wish them happy driving"
    assert cue["source"] == "loans" and cue["why"].startswith("loan approved 3 days ago")
    assert cue["expires_at"] == NOW - dt.timedelta(days=3) + dt.timedelta(days=30)
    # Not for a mortgage top-up, and not after the rule's 30 days.
    assert (
        moment_cues(shipped(), {}, [activity("loan.approved", 3, purpose="home")], None, NOW) == []
    )
    assert (
        moment_cues(shipped(), {}, [activity("loan.approved", 31, purpose="car")], None, NOW) == []
    )


def test_a_hard_time_silences_celebrations_and_says_how_to_address_them() -> None:
    traits = fold_facts([Fact("customer_since", "2016-12-01", "crm", NOW)])
    acts = [activity("life_event.bereavement", 5), activity("loan.approved", 2, purpose="car")]
    cues = moment_cues(
        shipped(), traits, acts, NOW - dt.timedelta(days=30), NOW, address_as="Mrs Marsh"
    )
    assert [c["rule"] for c in cues] == ["life_event_care"]
    assert cues[0]["text"].endswith("address them as Mrs Marsh")
    assert cues[0]["why"].endswith("(the first contact since)")


def test_anniversary_birthday_with_consent_and_at_most_three() -> None:
    traits = fold_facts(
        [
            Fact("customer_since", "2016-12-20", "crm", NOW),
            Fact("date_of_birth", "1980-12-06", "crm", NOW),
        ]
    )
    cues = moment_cues(shipped(), traits, [activity("card.declined", 0.5)], None, NOW)
    assert [c["rule"] for c in cues] == ["card_trouble", "tenure_anniversary"]
    assert cues[1]["text"] == "10 years with us this month"
    consented = fold_facts([Fact("consent.personalisation", True, "app", NOW)], traits)
    acts = [activity("card.declined", 0.5), activity("loan.approved", 1, purpose="car")]
    cues = moment_cues(shipped(), consented, acts, None, NOW)
    assert [c["rule"] for c in cues] == ["card_trouble", "happy_driving", "tenure_anniversary"]
    assert len(cues) == 3  # birthday holds too, but three is the most a card shows
