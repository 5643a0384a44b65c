from __future__ import annotations

from warmline.domain.conversation.turns import (
    MAX_SENTENCES,
    Turn,
    content_words,
    conversation_sentences,
    split_sentences,
    words,
)


def test_sentences_end_at_punctuation_and_newlines() -> None:
    text = "My card got declined. Why?! I have money\nin the account"
    assert split_sentences(text) == [
        "My card got declined.",
        "Why?!",
        "I have money",
        "in the account",
    ]


def test_abbreviations_initials_and_decimals_do_not_split() -> None:
    text = "Mr. Okafor paid £61.50 at Fuel & Go, e.g. pump 4. J. Smith saw it."
    assert split_sentences(text) == [
        "Mr. Okafor paid £61.50 at Fuel & Go, e.g. pump 4.",
        "J. Smith saw it.",
    ]


def test_chinese_sentences_split_without_spaces() -> None:
    assert split_sentences("我的卡被拒绝了。为什么？") == ["我的卡被拒绝了。", "为什么？"]


def test_html_looking_text_is_kept_as_written() -> None:
    assert split_sentences("<b>Declined</b> again. <script>x()</script>") == [
        "<b>Declined</b> again.",
        "<script>x()</script>",
    ]


def test_words_fold_case_and_keep_apostrophes() -> None:
    assert words("I CAN’T pay at Fuel & Go") == ["i", "can't", "pay", "at", "fuel", "go"]
    assert content_words("Yes, I can't pay at the fuel station!") == ["pay", "fuel", "station"]


def test_reading_is_bounded() -> None:
    turns = [Turn("customer", "One. Two. Three. Four.")] * 1000
    assert len(conversation_sentences(turns)) == MAX_SENTENCES
    assert conversation_sentences([]) == []
