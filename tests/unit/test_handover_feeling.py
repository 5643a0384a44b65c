"""The handover note's feeling, from the interaction's mood."""

from __future__ import annotations

import datetime as dt

from warmline.domain.conversation.turns import Turn
from warmline.domain.handover.feeling import customer_feeling, feeling_from_mood
from warmline.domain.handover.note import Feeling
from warmline.domain.insight import InteractionMood
from warmline.models import analyse_messages

T0 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def mood(feeling: str, words: str, line: str | None, messages: int = 2) -> InteractionMood:
    return InteractionMood(
        -0.5, 0.2, -0.1, "improving", "anger", feeling, line, T0, messages, words
    )


def test_the_feeling_its_trend_and_the_line_that_shows_it() -> None:
    found = feeling_from_mood(mood("frustrated", "frustrated, calmer by the end", "“I'm furious”"))
    assert found == Feeling("frustrated", "calmer by the end", "I'm furious")


def test_a_steady_feeling_has_no_trend_and_a_phrase_stays_whole() -> None:
    assert feeling_from_mood(mood("calm", "calm", None)) == Feeling("calm", None, None)
    mixed = feeling_from_mood(mood("pleased", "pleased at first, less so by the end", "“great”"))
    assert mixed == Feeling("pleased at first, less so by the end", None, "great")


def test_nothing_readable_is_no_feeling() -> None:
    assert feeling_from_mood(mood("mood unknown", "mood unknown", None, messages=0)) is None
    assert customer_feeling([Turn("agent", "How can I help?")], analyse_messages) is None
    assert customer_feeling([], analyse_messages) is None


def test_the_models_read_the_customers_lines_only() -> None:
    turns = [
        Turn("agent", "I'm really sorry, that is awful and unacceptable.", T0),
        Turn("customer", "This is ridiculous, I'm furious, declined again!", T0),
        Turn("customer", "I just need to get to work.", T0 + dt.timedelta(minutes=1)),
    ]
    found = customer_feeling(turns, analyse_messages)
    assert found is not None and found.label in {"frustrated", "unhappy", "appalled", "upset"}
    assert found.line == "This is ridiculous, I'm furious, declined again!"
    undated = customer_feeling([Turn("customer", t.text) for t in turns[1:]], analyse_messages)
    assert undated is not None and undated.line == found.line
