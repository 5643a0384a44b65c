from __future__ import annotations

import pytest

from tests.unit.miles import MILES_CHAT
from warmline.domain.conversation.summary import (
    rank_sentences,
    summarise,
    summarise_sentences,
    tidy,
    trim,
)
from warmline.domain.conversation.turns import Turn


def test_miles_chat_summary_names_the_decline_and_the_block() -> None:
    line = summarise(MILES_CHAT)
    assert line == (
        "My card got declined at the fuel station, second time this week. "
        "I can see a block from our fraud checks on card ending 4417."
    )


def test_summary_is_one_line_within_the_limit_and_made_of_the_conversation() -> None:
    text = " ".join(t.text for t in MILES_CHAT)
    for limit in (20, 60, 100, 200, 400):
        line = summarise(MILES_CHAT, max_chars=limit)
        assert len(line) <= limit
        assert "\n" not in line
        assert line.rstrip("…") and line.rstrip("…").split()[0] in text


def test_a_sentence_too_long_for_the_line_is_cut_at_a_word_with_an_ellipsis() -> None:
    assert summarise(MILES_CHAT, max_chars=40) == "My card got declined at the fuel…"


def test_sentences_come_back_in_conversation_order() -> None:
    picked = summarise_sentences(MILES_CHAT, 3)
    assert picked == [
        "My card got declined at the fuel station, second time this week.",
        "I can see a block from our fraud checks on card ending 4417.",
        "The card team can do it on the phone straight away.",
    ]


def test_empty_and_filler_only_conversations() -> None:
    assert summarise([]) == ""
    assert summarise_sentences([], 2) == []
    assert summarise([Turn("customer", "   ")]) == ""
    assert summarise([Turn("customer", "Hi!"), Turn("agent", "Hello.")]) in {"Hi!", "Hello."}


def test_filler_never_joins_a_substantive_sentence() -> None:
    turns = [
        Turn("customer", "My statement shows a duplicate standing order."),
        Turn("agent", "OK."),
    ]
    assert summarise_sentences(turns, 2) == ["My statement shows a duplicate standing order."]


def test_only_agent_turns_still_summarise() -> None:
    turns = [Turn("agent", "I have reissued the replacement card to the branch address.")]
    assert summarise(turns) == "I have reissued the replacement card to the branch address."


def test_bot_turns_are_used_only_when_nobody_else_spoke() -> None:
    bot = Turn("bot", "Please choose an option from the menu below to continue.")
    person = Turn("customer", "My direct debit to the council was taken twice.")
    assert summarise([bot, person]) == "My direct debit to the council was taken twice."
    assert summarise([bot]) == "Please choose an option from the menu below to continue."


def test_very_long_turn_has_bounded_output() -> None:
    turns = [Turn("customer", "card declined again at the station " * 20_000)]
    line = summarise(turns, max_chars=120)
    assert 0 < len(line) <= 120
    assert line.endswith("…")


def test_non_english_text_is_summarised_from_its_own_sentences() -> None:
    turns = [
        Turn("customer", "Bonjour. Ma carte a été refusée à la station-service, deux fois."),
        Turn("agent", "Je vois un blocage de sécurité sur votre carte."),
    ]
    line = summarise(turns)
    assert "Ma carte a été refusée à la station-service, deux fois." in line
    chinese = summarise([Turn("customer", "我的卡被拒绝了。为什么？")])
    assert chinese in {"我的卡被拒绝了。", "为什么？"}


def test_html_looking_text_stays_text() -> None:
    turns = [Turn("customer", "<script>alert(1)</script> my card <b>declined</b> again")]
    assert summarise(turns) == "<script>alert(1)</script> my card <b>declined</b> again"


def test_ranking_prefers_topical_sentences_over_chit_chat() -> None:
    ranked = rank_sentences(MILES_CHAT)
    assert ranked[0].sentence.text.startswith("My card got declined at the fuel station")
    filler = {
        "Sorry about that, Miles.",
        "Can you just remove it?",
        "Fine, I'll call.",
        "Please make sure they know about this.",
    }
    assert {r.sentence.text for r in ranked if not r.substantive} == filler
    assert {r.sentence.text for r in ranked[-4:]} == filler


def test_tidy_drops_leading_filler_only() -> None:
    assert tidy("Well, OK, the transfer never arrived.") == "The transfer never arrived."
    assert tidy("Um so the transfer never arrived.") == "So the transfer never arrived."
    assert tidy("Right now I can't pay.") == "Right now I can't pay."
    assert tidy("OK.") == "OK."


def test_trim() -> None:
    assert trim("short", 10) == "short"
    assert trim("a card declined twice", 12) == "a card…"
    with pytest.raises(ValueError, match="positive"):
        summarise(MILES_CHAT, max_chars=0)
