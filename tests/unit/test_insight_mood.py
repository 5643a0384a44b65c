from __future__ import annotations

import datetime as dt

from warmline.domain.insight import MessageInsight
from warmline.domain.insight.feeling_words import message_feeling
from warmline.domain.insight.mood import (
    InteractionMood,
    customer_mood,
    interaction_mood,
    quote,
)
from warmline.models import analyse_messages

T0 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def said(
    sentiment: float,
    *emotions: tuple[str, float],
    label: str | None = None,
    confidence: float = 0.8,
    frustration: float = 0.0,
) -> MessageInsight:
    if label is None:
        label = "positive" if sentiment > 0.3 else "negative" if sentiment < -0.3 else "neutral"
    return MessageInsight(
        sentiment,
        emotions,
        "en",
        True,
        label=label,
        confidence=confidence,
        frustration=frustration,
    )


def conversation(
    *lines: tuple[str, MessageInsight], outcome: str | None = None, transfers: int = 0
) -> InteractionMood:
    return interaction_mood(
        [(T0 + dt.timedelta(minutes=i), text, insight) for i, (text, insight) in enumerate(lines)],
        outcome=outcome,
        transfers=transfers,
    )


def mood_at(
    level: float, dominant: str = "frustration", line: str | None = "“x”", strength: float = 0.8
) -> InteractionMood:
    feeling = {"frustration": "frustrated", "neutral": "calm", "joy": "pleased", "fear": "worried"}
    return InteractionMood(
        level,
        level,
        level,
        "steady",
        dominant,
        feeling[dominant],
        line,
        T0,
        1,
        feeling[dominant],
        strength=0.0 if dominant == "neutral" else strength,
    )


def test_a_complaint_that_ends_politely_and_resolved_is_still_a_complaint() -> None:
    mood = conversation(
        ("My card got declined again", said(-0.5, label="negative")),
        ("This is ridiculous, I'm furious", said(-0.8, ("anger", 0.9), frustration=0.9)),
        ("ok thanks, that's sorted it", said(0.8, ("gratitude", 0.9))),
        outcome="resolved",
    )
    assert mood.dominant == "frustration" and mood.feeling == "frustrated"
    assert mood.trend == "improving" and mood.words == "frustrated, calmer by the end"
    assert mood.line == "“This is ridiculous, I'm furious”"
    assert (mood.start, mood.end, mood.messages) == (-0.5, 0.8, 3)
    assert mood.at == T0 + dt.timedelta(minutes=2) and mood.sure == "sure"


def test_an_escalated_contact_with_a_frustrated_last_line_is_not_happier_by_the_end() -> None:
    mood = conversation(
        ("Hello, my card is blocked at the pump", said(-0.6, label="negative")),
        ("Fine, I'll call. Please make sure they know.", said(-0.1, frustration=0.62)),
        outcome="escalated",
    )
    assert "by the end" not in mood.words
    assert mood.words.startswith("possibly frustrated") or mood.words.startswith("frustrated")
    assert mood.words.endswith("; ended escalated") and mood.ending == "ended escalated"
    transferred = conversation(
        ("I've been passed around three times", said(-0.4, frustration=0.8)),
        ("whatever, thanks", said(0.5, frustration=0.55)),
        transfers=2,
    )
    assert "calmer" not in transferred.words and "happier" not in transferred.words
    assert transferred.words.endswith("transferred 2 times")


def test_the_trend_compares_first_and_last_lines_and_says_so_when_unclear() -> None:
    worse = conversation(
        ("hello", said(0.5, label="positive")),
        ("I'd love some help with my new card", said(0.5, label="positive")),
        ("why is nobody helping", said(-0.6, ("annoyance", 0.8), frustration=0.7)),
    )
    assert worse.trend == "worsening"
    assert worse.words == "frustrated, getting worse as the conversation went on"
    weak = conversation(
        ("my statement please", said(0.0, confidence=0.4)),
        ("ugh", said(-0.5, ("annoyance", 0.7), confidence=0.5)),
    )
    assert weak.trend == "no clear change" and weak.words.endswith("no clear change")
    calm = conversation(("Could I get my statements please", said(0.1)), ("ok", said(0.2)))
    assert (calm.trend, calm.dominant, calm.words, calm.line) == ("steady", "neutral", "calm", None)
    assert calm.sure is None


def test_pleasantries_are_manners_not_a_mood() -> None:
    polite = conversation(
        ("My card was declined at the shop", said(-0.6, label="negative")),
        ("OK, thanks.", said(0.8, ("gratitude", 0.9), label="positive")),
    )
    assert polite.trend == "steady" and "by the end" not in polite.words
    assert polite.feeling == "unhappy"
    only_manners = conversation(("Hello!", said(0.6, ("joy", 0.8))), ("cheers", said(0.7)))
    assert only_manners.feeling == "calm"


def test_clearly_negative_words_count_even_without_a_named_emotion() -> None:
    mood = conversation(
        ("Honestly this is no good", said(-0.8, label="negative", confidence=0.85)),
        ("cheers", said(0.6, ("gratitude", 0.7))),
    )
    assert mood.dominant == "negative" and mood.feeling == "unhappy"
    assert mood.line == "“Honestly this is no good”"


def test_weak_evidence_gives_no_confident_word() -> None:
    # Just over an emotion's line: said, but as a possibility.
    assert message_feeling(said(-0.2, ("annoyance", 0.55))).shown == "possibly annoyed"  # type: ignore[union-attr]
    # A confident polarity label alone is a word; a weak one is none.
    assert message_feeling(said(-0.5, confidence=0.6)) is None
    assert message_feeling(said(0.0, label="neutral")) is None
    unread = MessageInsight(0.0, (), "fr", False)
    assert message_feeling(unread) is None


def test_a_question_is_not_surprise() -> None:
    asked = said(-0.1, ("curiosity", 0.9), ("surprise", 0.6), ("confusion", 0.6))
    assert message_feeling(asked) is None
    mood = conversation(("Can you just remove it? I'm stuck at the pump.", asked))
    assert mood.feeling == "calm" and "surprise" not in mood.words
    astonished = said(0.0, ("surprise", 0.9))
    assert message_feeling(astonished).word == "surprised"  # type: ignore[union-attr]


def test_no_positive_word_on_a_negative_message() -> None:
    mixed = said(-0.7, ("gratitude", 0.8), label="negative", confidence=0.8)
    feeling = message_feeling(mixed)
    assert feeling is not None and feeling.key == "negative" and feeling.word == "unhappy"


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
    assert mood.sure == "sure"


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


def test_recent_and_strong_evidence_weighs_more() -> None:
    # A faint worry three contacts ago does not outweigh a clear, recent frustration...
    assert (
        customer_mood([mood_at(0.1, "fear", strength=0.55), mood_at(0.1), mood_at(0.1)]).dominant
        == "frustration"
    )
    # ...and of two negative feelings, the recent, strong one leads.
    recent = customer_mood([mood_at(0.1, strength=0.55), mood_at(0.1, "fear", strength=0.95)])
    assert recent.dominant == "fear"
    # Negative feelings lead positive ones.
    assert customer_mood([mood_at(0.1, "fear"), mood_at(0.5, "joy")]).dominant == "fear"


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
    mood = interaction_mood(points, outcome="unresolved")
    assert mood.feeling == "frustrated" and mood.trend != "improving"
    assert mood.line in {
        "“This is ridiculous, I am furious”",
        "“This is the third time I've had to explain this.”",
    }
    assert mood.words.endswith("; ended unresolved")


def test_the_card_reads_the_mood_from_recent_contacts_only() -> None:
    from warmline.domain.card.insight import MOOD_HORIZON, mood
    from warmline.domain.insight.records import mood_json

    def contact(days_ago: float, level: float, dominant: str) -> dict[str, object]:
        return {
            "started_at": T0 - dt.timedelta(days=days_ago),
            "mood": mood_json(mood_at(level, dominant, line=f"“{dominant}”")),
        }

    old_anger = contact(MOOD_HORIZON.days + 30, -0.6, "frustration")
    # Newest first, as the card's rows come.
    found = mood([contact(0, 0.5, "joy"), old_anger], T0)
    assert found is not None and found["feeling"] == "pleased" and found["contacts"] == 1
    assert found["line"] == "“joy”" and found["sure"] == "sure"
    assert mood([old_anger], T0) is None  # two years of silence say nothing about today


def test_only_negative_feelings_are_flagged_for_the_agent() -> None:
    from warmline.domain.card.insight import is_negative

    assert is_negative("frustrated, calmer by the end") and is_negative("worried")
    assert is_negative("possibly annoyed")
    assert not is_negative("calm") and not is_negative("pleased, happier by the end")
    assert not is_negative(None) and not is_negative("")


def test_stored_moods_from_before_read_with_defaults() -> None:
    from warmline.domain.insight.records import mood_from_json

    old = {
        "start": 0.1,
        "end": 0.2,
        "level": 0.15,
        "trend": "steady",
        "dominant": "anger",
        "feeling": "frustrated",
        "line": None,
        "at": None,
        "messages": 1,
        "words": "frustrated",
    }
    mood = mood_from_json(old)
    assert mood.words == "frustrated" and mood.sure is None and mood.evidence == ()
