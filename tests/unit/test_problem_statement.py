from __future__ import annotations

import pytest

from tests.unit.miles import MILES_CHAT
from warmline.domain.conversation.problem_statement import (
    next_steps,
    problem_lines,
    tried_and_found,
    wants,
)
from warmline.domain.conversation.turns import Turn


def test_miles_states_the_decline_and_being_stuck_and_asks_for_help() -> None:
    found = problem_lines(MILES_CHAT)
    assert [(f.text, f.turn_index) for f in found] == [
        ("My card got declined at the fuel station, second time this week.", 0),
        ("Can you just remove it?", 2),
        ("I'm stuck at the pump.", 2),
        ("Please make sure they know about this.", 4),
    ]
    assert found[0].reason == "names a failure: 'declined'"
    assert found[0].turn is MILES_CHAT[0]
    assert {f.kind for f in found} == {"problem"}


def test_miles_wants_the_block_removed_and_the_team_told() -> None:
    assert [(f.text, f.reason) for f in wants(MILES_CHAT)] == [
        ("Can you just remove it?", "asks for it: 'Can you'"),
        ("Please make sure they know about this.", "asks for it: 'Please'"),
    ]


def test_the_agent_found_the_block_and_could_not_lift_it() -> None:
    found = tried_and_found(MILES_CHAT)
    assert [(f.kind, f.text) for f in found] == [
        ("found", "I can see a block from our fraud checks on card ending 4417."),
        ("found", "I can't lift this block from chat, I'm afraid."),
    ]
    assert found[0].reason == "agent found: 'I can see'"


def test_the_next_step_is_the_card_team_on_the_phone() -> None:
    assert [f.text for f in next_steps(MILES_CHAT)] == [
        "The card team can do it on the phone straight away."
    ]


def test_what_a_customer_already_tried_counts_as_tried() -> None:
    turns = [
        Turn("customer", "I've already tried restarting the app twice."),
        Turn("agent", "I have reset your app session from here."),
    ]
    assert [(f.text, f.reason) for f in tried_and_found(turns)] == [
        ("I've already tried restarting the app twice.", "customer tried: 'I've already tried'"),
        ("I have reset your app session from here.", "agent tried: 'I have reset'"),
    ]


@pytest.mark.parametrize(
    "line",
    [
        "Where has my new card got to?",
        "I still have not received my new card.",
        "Why have I been charged twice for one coffee?",
        "There is a payment on my statement I don't recognise.",
        "I need to update my home address, we moved.",
        "Could you undo that payment please",
        "Do you charge anything for adding money by card?",
    ],
)
def test_problem_statements_are_found(line: str) -> None:
    assert [f.text for f in problem_lines([Turn("customer", line)])] == [line]


@pytest.mark.parametrize(
    "line",
    [
        "Hi, good morning.",
        "Thanks, that is great.",
        "Yes, my date of birth is 4 March 1980.",
        "My postcode is SW1A 1AA.",
        "That is all, many thanks for your help!",
        "Sure, go ahead.",
        "Perfect, it worked.",
        "The last four digits are 4417.",
        "Lovely, have a good day.",
        "Brilliant, the payment went through.",
        "I received the email, thanks.",
    ],
)
def test_pleasantries_and_answers_are_not_problem_statements(line: str) -> None:
    assert problem_lines([Turn("customer", line)]) == []


def test_only_customer_lines_state_the_problem_and_only_theirs_are_wants() -> None:
    agent_only = [
        Turn("agent", "Your card was declined because of a fraud block. Can you confirm?")
    ]
    assert problem_lines(agent_only) == []
    assert wants(agent_only) == []


def test_empty_html_and_non_english_conversations() -> None:
    assert problem_lines([]) == wants([]) == tried_and_found([]) == next_steps([]) == []
    html = [Turn("customer", "<b>My card</b> was declined <script>x()</script>")]
    assert [f.text for f in problem_lines(html)] == [html[0].text]
    french = [Turn("customer", "Pourquoi ma carte est-elle bloquée ?")]
    assert [f.text for f in problem_lines(french)] == [french[0].text]
