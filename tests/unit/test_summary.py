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
    # Nothing but pleasantries: no summary at all (the desk shows none), not "Hi!".
    assert summarise([Turn("customer", "Hi!"), Turn("agent", "Hello.")]) == ""
    # A short line that says something is still better than nothing.
    assert summarise([Turn("customer", "Hi!"), Turn("customer", "Declined again?")]) == (
        "Declined again?"
    )


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


def test_a_greeting_and_the_agents_of_course_never_lead_the_summary() -> None:
    turns = [
        Turn("customer", "Hello, can you cancel my debit card? I think I left it on the bus."),
        Turn("agent", "Of course, Kwame."),
        Turn(
            "agent",
            "I have cancelled the card ending 2231 and ordered a replacement to your home address.",
        ),
        Turn("customer", "Thanks, bye!"),
        Turn("agent", "You're welcome. Is there anything else?"),
    ]
    assert summarise(turns) == (
        "Can you cancel my debit card? I have cancelled the card ending 2231 and ordered "
        "a replacement to your home address."
    )
    phatic = {r.sentence.text for r in rank_sentences(turns) if r.phatic}
    assert phatic == {
        "Of course, Kwame.",
        "Thanks, bye!",
        "You're welcome.",
        "Is there anything else?",
    }


def test_an_agents_opening_formula_and_closing_pleasantries_are_never_chosen() -> None:
    turns = [
        Turn(
            "agent", "Good morning, thanks for calling Northbank, my name is Dave, how can I help?"
        ),
        Turn("customer", "Hi Dave."),
        Turn("customer", "My standing order to the landlord went out twice this month."),
        Turn("agent", "Thanks, Ama. I can see both payments; I will recall the second one today."),
        Turn("customer", "Brilliant, thank you so much!"),
        Turn("agent", "My pleasure. Have a lovely day!"),
    ]
    assert summarise_sentences(turns, 4) == [
        "My standing order to the landlord went out twice this month.",
        "I can see both payments; I will recall the second one today.",
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "Hello.",
        "Hi Kwame!",
        "Good morning, thanks for calling Northbank.",
        "Of course, Kwame.",
        "How can I help?",
        "Thanks, bye",
        "You're welcome.",
        "Is there anything else I can help you with today?",
        "Sure thing, Mr. Osei.",
        "Cheers, have a good weekend!",
        "Excuse me, madam?",
        "Nice to meet you, Ama.",
        "hi kwame",
        "🙂",
    ],
)
def test_pleasantries_and_sentences_that_only_address_someone_are_never_chosen(
    sentence: str,
) -> None:
    turns = [Turn("agent", sentence), Turn("customer", "Declined again?")]
    assert rank_sentences(turns)[-1].sentence.text == sentence
    assert rank_sentences(turns)[-1].phatic
    assert summarise(turns) == "Declined again?"


def test_words_that_are_pleasantries_only_in_a_set_phrase_keep_their_meaning() -> None:
    for sentence in (
        "The course fee was taken twice.",
        "Morning payments keep failing.",
        "Thanks for the refund of the duplicate fee.",
        "I was welcome to apply, then the loan was refused.",
    ):
        (ranked,) = rank_sentences([Turn("customer", sentence)])
        assert ranked.substantive, sentence
        assert summarise([Turn("customer", sentence)]) == sentence


def test_miles_being_addressed_is_found_from_the_conversation_itself() -> None:
    phatic = {r.sentence.text for r in rank_sentences(MILES_CHAT) if r.phatic}
    assert phatic == {"Sorry about that, Miles."}


def test_a_leading_greeting_and_the_name_it_addresses_are_cut_not_the_substance() -> None:
    assert tidy("Hello, can you cancel my card?") == "Can you cancel my card?"
    assert tidy("Hello can you cancel my card?") == "Can you cancel my card?"
    assert tidy("Hi Kwame, your new card is on its way.") == "Your new card is on its way."
    assert tidy("Good morning Mr. Okafor, the transfer has landed.") == "The transfer has landed."
    assert tidy("Well, hello there, my card was swallowed.") == "My card was swallowed."
    assert tidy("Hey - my transfer failed.") == "My transfer failed."
    assert tidy("Thanks, I'll wait for the letter.") == "I'll wait for the letter."
    assert tidy("Excuse me, can I pay this in at a branch?") == "Can I pay this in at a branch?"
    assert tidy("Dear Sir or Madam, my refund is missing.") == "My refund is missing."
    # A name the conversation addresses someone by goes with the greeting, even uncapitalised;
    # alone, it stays (who was spoken to is worth keeping when nothing else leads in).
    assert tidy("hi kwame can you send me a new pin", frozenset({"kwame"})) == (
        "Can you send me a new pin"
    )
    assert tidy("Kwame, your card is on its way.", frozenset({"kwame"})) == (
        "Kwame, your card is on its way."
    )
    # Not a greeting, or a capitalised word after one that names nobody: the words stay.
    assert tidy("Thanks for sorting the refund.") == "Thanks for sorting the refund."
    assert tidy("Hello, Card declined again.") == "Card declined again."
    assert tidy("Hi-fi shop charged me twice.") == "Hi-fi shop charged me twice."
    assert tidy("Morning payments keep failing.") == "Morning payments keep failing."
    assert tidy("Hello!") == "Hello!"


def test_non_english_and_emoji_only_conversations_do_not_crash() -> None:
    assert summarise([Turn("customer", "👋"), Turn("agent", "🙂🙂 👍")]) == ""
    assert summarise_sentences([Turn("customer", "…"), Turn("agent", "!!")], 2) == []
    spanish = [
        Turn("customer", "Hola, mi tarjeta fue rechazada en el supermercado."),
        Turn("agent", "¡Gracias!"),
    ]
    assert summarise(spanish) == "Mi tarjeta fue rechazada en el supermercado."
    assert summarise([Turn("customer", "你好！我的卡被拒绝了。")]) == "我的卡被拒绝了。"
    mixed = [Turn("customer", "Hi 👋 my card was declined at the chemist 😡")]
    assert summarise(mixed) == "My card was declined at the chemist 😡"


def test_lower_case_chat_is_read_the_same_way() -> None:
    turns = [
        Turn("customer", "hiya dave"),
        Turn("agent", "hi there, how can i help?"),
        Turn("customer", "the app logs me out every time i open payments"),
        Turn("agent", "of course dave"),
    ]
    assert summarise(turns) == "The app logs me out every time i open payments"


def test_tidy_drops_leading_filler_but_not_words_that_carry_meaning() -> None:
    assert tidy("Well, OK, the transfer never arrived.") == "The transfer never arrived."
    assert tidy("Um so the transfer never arrived.") == "So the transfer never arrived."
    assert tidy("Right now I can't pay.") == "Right now I can't pay."
    assert tidy("OK.") == "OK."


def test_trim() -> None:
    assert trim("short", 10) == "short"
    assert trim("a card declined twice", 12) == "a card…"
    with pytest.raises(ValueError, match="positive"):
        summarise(MILES_CHAT, max_chars=0)
