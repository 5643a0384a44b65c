from __future__ import annotations

import datetime as dt

from warmline.domain.insight import MessageInsight
from warmline.domain.insight.mood import (
    InteractionMood,
    customer_mood,
    interaction_mood,
    quote,
)
from warmline.models import analyse_messages

T0 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def said(sentiment: float, *emotions: tuple[str, float]) -> MessageInsight:
    return MessageInsight(sentiment, emotions or (("neutral", 0.6),), "en", True)


def conversation(*lines: tuple[str, MessageInsight]) -> InteractionMood:
    return interaction_mood(
        [(T0 + dt.timedelta(minutes=i), text, insight) for i, (text, insight) in enumerate(lines)]
    )


def mood_at(level: float, dominant: str = "anger", line: str | None = "“x”") -> InteractionMood:
    feeling = {"anger": "frustrated", "neutral": "calm", "joy": "pleased", "fear": "worried"}
    return InteractionMood(
        level, level, level, "steady", dominant, feeling[dominant], line, T0, 1, feeling[dominant]
    )


def test_a_complaint_that_ends_politely_is_still_a_complaint() -> None:
    mood = conversation(
        ("My card got declined again", said(0.1)),
        ("This is ridiculous, I'm furious", said(-0.6, ("anger", 0.8))),
        ("ok thanks", said(0.7, ("joy", 0.9))),
    )
    assert mood.dominant == "anger" and mood.feeling == "frustrated"
    assert mood.trend == "improving" and mood.words == "frustrated, calmer by the end"
    assert mood.line == "“This is ridiculous, I'm furious”"
    assert (mood.start, mood.end, mood.messages) == (0.1, 0.7, 3)
    assert mood.at == T0 + dt.timedelta(minutes=2)


def test_worsening_and_steady_interactions() -> None:
    worse = conversation(
        ("hello", said(0.3)), ("why is nobody helping", said(-0.5, ("anger", 0.5)))
    )
    assert worse.trend == "worsening"
    assert worse.words == "frustrated, getting worse as the conversation went on"
    calm = conversation(("Could I get my statements please", said(0.1)), ("ok", said(0.2)))
    assert (calm.trend, calm.dominant, calm.words, calm.line) == ("steady", "neutral", "calm", None)


def test_clearly_negative_words_count_even_without_a_named_emotion() -> None:
    mood = conversation(("Honestly I'm fed up", said(-0.6)), ("cheers", said(0.8, ("joy", 0.9))))
    assert mood.dominant == "negative" and mood.feeling == "unhappy"
    assert mood.line == "“Honestly I'm fed up”"


def test_unreadable_interactions_have_an_unknown_mood() -> None:
    unreadable = MessageInsight(0.0, (), "fr", False)
    mood = conversation(("Bonjour", unreadable))
    assert (mood.dominant, mood.trend, mood.words, mood.messages) == (
        "unknown",
        "unknown",
        "mood unknown",
        0,
    )
    assert interaction_mood([]).at is None
    assert customer_mood([mood]).words == "mood unknown"
    assert customer_mood([]).contacts == 0


def test_customer_getting_worse_over_three_contacts() -> None:
    mood = customer_mood([mood_at(0.4, "neutral", None), mood_at(0.1), mood_at(-0.3)])
    assert mood.trend == "worsening"
    assert mood.words == "frustrated, getting worse over the last three contacts"
    assert mood.line == "“x”" and mood.line_at == T0 and mood.contacts == 3


def test_customer_trend_words() -> None:
    assert customer_mood([mood_at(0.2), mood_at(-0.3)]).words == "frustrated, worse than last time"
    better = customer_mood([mood_at(-0.5, "fear"), mood_at(0.0, "fear")])
    assert (better.trend, better.words) == ("improving", "worried, better than last time")
    steady = customer_mood([mood_at(-0.2), mood_at(-0.25), mood_at(-0.2)])
    assert steady.words == "frustrated in each of the last three contacts"
    assert customer_mood([mood_at(0.5, "joy")]).words == "pleased"
    assert customer_mood([mood_at(0.6, "joy"), mood_at(0.3, "joy")]).words == (
        "pleased, less so than last time"
    )


def test_negative_feelings_lead_and_the_latest_breaks_ties() -> None:
    mood = customer_mood([mood_at(0.1, "fear"), mood_at(0.1, "joy"), mood_at(0.1, "joy")])
    assert mood.dominant == "fear"
    tie = customer_mood([mood_at(-0.1, "fear"), mood_at(-0.1, "anger")])
    assert tie.dominant == "anger"


def test_quotes_are_bounded_at_a_word() -> None:
    assert quote("  card   declined ") == "“card declined”"
    long = quote("word " * 100, limit=30)
    assert long.startswith("“word word") and long.endswith("…”") and len(long) <= 32


def test_end_to_end_with_the_shipped_model() -> None:
    lines = [
        "hey I'd like to dispute a payment, the goods never arrived.",
        "This is the third time I've had to explain this.",
        "This is ridiculous, I am furious",
    ]
    points = [
        (T0 + dt.timedelta(minutes=i), text, insight)
        for i, (text, insight) in enumerate(zip(lines, analyse_messages(lines), strict=True))
    ]
    mood = interaction_mood(points)
    assert mood.feeling == "frustrated" and mood.trend == "worsening"
    assert mood.line == "“This is ridiculous, I am furious”"


def test_the_card_reads_the_mood_from_recent_contacts_only() -> None:
    from warmline.domain.card.insight import MOOD_HORIZON, mood
    from warmline.domain.insight.records import mood_json

    def contact(days_ago: float, level: float, dominant: str) -> dict[str, object]:
        return {
            "started_at": T0 - dt.timedelta(days=days_ago),
            "mood": mood_json(mood_at(level, dominant, line=f"“{dominant}”")),
        }

    old_anger = contact(MOOD_HORIZON.days + 30, -0.6, "anger")
    # Newest first, as the card's rows come.
    found = mood([contact(0, 0.5, "joy"), old_anger], T0)
    assert found is not None and found["feeling"] == "pleased" and found["contacts"] == 1
    assert found["line"] == "“joy”"
    assert mood([old_anger], T0) is None  # two years of silence say nothing about today


def test_only_negative_feelings_are_flagged_for_the_agent() -> None:
    from warmline.domain.card.insight import is_negative

    assert is_negative("frustrated, calmer by the end") and is_negative("worried")
    assert not is_negative("calm") and not is_negative("pleased, happier by the end")
    assert not is_negative(None) and not is_negative("")


def test_a_question_reads_as_puzzled_not_astonished() -> None:
    """The model's "surprise" is GoEmotions' Ekman group (confusion, curiosity, realisation,
    surprise): an agent reads it as puzzlement first."""
    mood = conversation(
        ("Can you just remove it? I'm stuck at the pump.", said(-0.1, ("surprise", 0.44)))
    )
    assert mood.feeling == "puzzled or surprised"
    assert mood.line == "“Can you just remove it? I'm stuck at the pump.”"
