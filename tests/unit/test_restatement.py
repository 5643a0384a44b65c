from __future__ import annotations

import pytest

from warmline.domain.conversation.turns import Turn
from warmline.domain.effort.restatement import (
    THRESHOLD,
    Restatement,
    count_restatements,
    find_restatement,
    legs,
    similarities,
    similarity,
)
from warmline.models.word_vectors import sentence_vectors

CHAT_LINE = "My card got declined at the fuel station, second time this week."


def test_miles_explaining_the_decline_again_on_the_phone_is_a_restatement() -> None:
    found = find_restatement(
        ["I'd like to update my address.", CHAT_LINE],
        "Hi, my card keeps getting declined when I pay for fuel.",
        sentence_vectors,
    )
    assert isinstance(found, Restatement)
    assert found.earlier == CHAT_LINE
    assert THRESHOLD <= found.score <= 1


def test_a_different_problem_is_not_a_restatement() -> None:
    assert (
        find_restatement(
            [CHAT_LINE], "How do I change the address on my account?", sentence_vectors
        )
        is None
    )


def test_the_same_words_score_one_and_the_closest_earlier_line_wins() -> None:
    assert similarity(CHAT_LINE, CHAT_LINE, sentence_vectors) == pytest.approx(1.0, abs=1e-4)
    scores = similarities(CHAT_LINE, ["Where is my new PIN?", CHAT_LINE.upper()], sentence_vectors)
    assert scores[1] > scores[0]


def test_threshold_is_a_parameter() -> None:
    line = "My card got refused when paying for petrol."
    loose = find_restatement([CHAT_LINE], line, sentence_vectors, threshold=-1.0)
    assert loose is not None
    assert (
        find_restatement([CHAT_LINE], line, sentence_vectors, threshold=loose.score + 0.01) is None
    )


def test_empty_inputs_find_nothing_and_never_divide_by_zero() -> None:
    assert find_restatement([], CHAT_LINE, sentence_vectors) is None
    assert find_restatement(["", "   "], CHAT_LINE, sentence_vectors) is None
    assert find_restatement([CHAT_LINE], "  ", sentence_vectors) is None
    assert similarity("", CHAT_LINE, sentence_vectors) == 0.0
    assert similarities(CHAT_LINE, [], sentence_vectors) == []


def test_long_html_and_non_english_lines_are_compared_as_text() -> None:
    # Only the first MAX_CHARS characters are read: these two differ after that.
    long_line = CHAT_LINE + " again" * 10_000
    found = find_restatement([long_line + " twice"], long_line, sentence_vectors)
    assert found is not None and found.score == pytest.approx(1.0, abs=1e-4)
    assert (
        find_restatement(["<b>card declined</b>"], "<b>card declined</b>", sentence_vectors)
        is not None
    )
    french = "Ma carte a été refusée à la station-service."
    found_fr = find_restatement(
        [french], "Ma carte a été refusée à la station-service !", sentence_vectors
    )
    assert found_fr is not None and found_fr.earlier == french


def test_legs_split_where_another_agent_answers() -> None:
    turns = [
        Turn("customer", "My card got declined at the fuel station."),
        Turn("agent", "Let me look.", agent_id="amy"),
        Turn("agent", "I'll pass you to the card team.", agent_id="amy"),
        Turn("customer", "Thanks."),
        Turn("agent", "Card team here, how can I help?", agent_id="dave"),
        Turn("customer", "My card keeps getting declined when I pay for fuel."),
    ]
    assert [len(leg) for leg in legs(turns)] == [4, 2]
    assert legs([]) == []
    assert len(legs([Turn("customer", "hi"), Turn("bot", "hello")])) == 1


def test_explaining_again_after_a_transfer_or_a_switch_counts() -> None:
    chat = [Turn("customer", CHAT_LINE), Turn("agent", "I can't lift this block from chat.")]
    call = [Turn("customer", "Hi, my card keeps getting declined when I pay for fuel.")]
    assert count_restatements([chat], call, sentence_vectors) == 1
    assert count_restatements([], call, sentence_vectors) == 0
    # Within one call: told amy, then told dave again after the transfer.
    transferred = [
        Turn("customer", CHAT_LINE),
        Turn("agent", "Passing you over.", agent_id="amy"),
        Turn("agent", "Card team, what seems to be the problem?", agent_id="dave"),
        Turn("customer", "My card keeps getting declined when I pay for fuel."),
    ]
    assert count_restatements([], transferred, sentence_vectors) == 1
    # A new problem is not explaining it again.
    address = [Turn("customer", "How do I change the address on my account?")]
    assert count_restatements([chat], address, sentence_vectors) == 0
