from __future__ import annotations

import datetime as dt

import pytest

from warmline.domain.insight.style import StyleCue, duration, recorded_cues, style_profile
from warmline.domain.insight.style_measures import (
    PopulationStats,
    StyleContact,
    StyleMessage,
    markers,
    measure,
    population_stats,
)

T0 = dt.datetime(2026, 11, 2, 19, 0, tzinfo=dt.UTC)  # a Monday evening
POPULATION = PopulationStats(customers=500, words_per_message=23.0, reply_seconds=120.0)


def chat(*lines: str, channel: str = "chat", reply_after: float = 40.0) -> list[StyleMessage]:
    """An exchange per line: the agent writes, the customer answers ``reply_after`` s later."""
    out = []
    for i, line in enumerate(lines):
        at = T0 + dt.timedelta(minutes=10 * i)
        out.append(StyleMessage("How can I help?", at, channel, f"c{i}", "agent"))
        out.append(StyleMessage(line, at + dt.timedelta(seconds=reply_after), channel, f"c{i}"))
    return out


def contacts(channel: str, n: int, hour: int = 19, weekday_offset: int = 0) -> list[StyleContact]:
    start = T0.replace(hour=hour) + dt.timedelta(days=weekday_offset)
    return [StyleContact(channel, start + dt.timedelta(days=7 * i)) for i in range(n)]


def kinds(cues: list[StyleCue]) -> dict[str, str]:
    return {c.kind: c.value for c in cues}


def test_brief_casual_quick_customer_with_evidence() -> None:
    messages = chat("hey card declined again", "cheers 👍", "thx, sorted now", "yep that worked")
    cues = style_profile(messages, contacts("chat", 4), POPULATION)
    found = {c.kind: c for c in cues}
    assert found["length"].value == "brief"
    assert found["length"].evidence == "messages average 3 words; most customers write 23"
    assert found["register"].value == "casual"
    assert (
        "“hey”" in found["register"].evidence and "(4 of 4 messages)" in found["register"].evidence
    )
    assert found["pace"] == StyleCue(
        "pace", "quick", "answers agents in about 40 seconds in chat; most customers take 2 minutes"
    )
    assert found["channel"].evidence == "4 of 4 contacts by chat"
    assert found["timing"].value == "evening"
    assert not any(c.recorded for c in cues)


def test_detailed_formal_customer() -> None:
    long = (
        "Good morning. I would like to ask about the overpayment I made on my mortgage last "
        "month, because the balance shown in the app has not changed and I would be grateful "
        "if you could explain how it was applied. Thank you."
    )
    cues = style_profile(chat(long, long, long, reply_after=600), [], POPULATION)
    assert kinds(cues) == {
        "length": "detailed",
        "register": "formal",
        "pace": "unhurried",
    }


def test_recorded_preferences_override_and_show_what_history_says() -> None:
    facts = {
        "preferred_channel": {"value": "email", "source": "crm", "at": "2026-01-01"},
        "preferred_name": "Bob",
        "needs": ["hard of hearing"],
        "large_print": True,
        "braille": False,
    }
    cues = style_profile([], contacts("voice", 5), POPULATION, facts)
    assert [c.kind for c in cues[:2]] == ["needs", "needs"]
    assert {c.value for c in cues[:2]} == {"hard of hearing", "large print"}
    channel = next(c for c in cues if c.kind == "channel")
    assert channel.recorded and channel.value == "email"
    assert channel.evidence == "on record (from crm); history shows voice: 5 of 5 contacts by phone"
    assert sum(c.kind == "channel" for c in cues) == 1
    assert StyleCue("name", "Bob", "on record", recorded=True) in cues
    assert "braille" not in {c.value for c in cues}


def test_recorded_cue_agreeing_with_history_keeps_its_evidence_short() -> None:
    cues = style_profile([], contacts("chat", 4), None, {"preferred_channel": "chat"})
    assert cues[0] == StyleCue("channel", "chat", "on record", recorded=True)


def test_language_weekend_and_night_habits() -> None:
    messages = [
        StyleMessage("Hola, necesito ayuda", T0, "chat", "a", language="es"),
        StyleMessage("gracias", T0, "chat", "a", language="es"),
        StyleMessage("ok thanks", T0, "chat", "a", language="en"),
    ]
    weekend_nights = contacts("app", 4, hour=23, weekday_offset=5)  # Saturdays at 23:00
    found = {c.value: c for c in style_profile(messages, weekend_nights, None)}
    assert found["es"].evidence == "2 of 3 messages in Spanish"
    assert found["night"].evidence == "4 of 4 contacts started between 22:00 and 06:00"
    assert found["weekend"].evidence == "4 of 4 contacts at weekends"


def test_time_zone_moves_the_part_of_day() -> None:
    london = dt.timezone(dt.timedelta(hours=0))
    tokyo = dt.timezone(dt.timedelta(hours=9))
    assert kinds(style_profile([], contacts("chat", 4, hour=10), None, tz=london))["timing"] == (
        "morning"
    )
    assert kinds(style_profile([], contacts("chat", 4, hour=10), None, tz=tokyo))["timing"] == (
        "evening"
    )


def test_too_little_history_gives_no_inferred_cues() -> None:
    assert (
        style_profile(chat("hey"), contacts("chat", 2), POPULATION)
        == [StyleCue("language", "en", "one message, in English")]
        or style_profile(chat("hey"), contacts("chat", 2), POPULATION) == []
    )
    assert style_profile([], [], None) == []


def test_outbound_contacts_are_not_the_customers_choice() -> None:
    outbound = [StyleContact("voice", T0 + dt.timedelta(days=i), False) for i in range(5)]
    assert style_profile([], outbound, None) == []


def test_markers_and_measures() -> None:
    assert markers("hey, can't log in lol 😅") == (
        ["hey", "lol", "contractions", "emoji", "no capitals"],
        [],
    )
    assert markers("Good afternoon. Thank you kindly for the help.") == (
        [],
        ["good afternoon", "thank you"],
    )
    # Contractions alone do not make a message casual.
    m = measure(chat("I've moved house, can I update my address?"))
    assert m.messages == 1 and m.messages_with_casual == 0
    assert m.reply_seconds == 40.0 and m.replies == 1


def test_pace_ignores_phone_and_long_gaps() -> None:
    assert measure(chat("ok", "fine", channel="voice")).reply_seconds is None
    assert measure(chat("ok", reply_after=3 * 3600)).reply_seconds is None


def test_population_stats_round_trip() -> None:
    stats = population_stats(
        [chat("a b c d"), chat("a b", "a b", reply_after=20), [], chat("a b c d e f g h")]
    )
    assert stats == PopulationStats(customers=3, words_per_message=4.0, reply_seconds=40.0)
    assert PopulationStats.from_dict(stats.to_dict()) == stats
    with pytest.raises(ValueError, match="no customer messages"):
        population_stats([[]])


def test_recorded_cues_accept_other_preferences() -> None:
    assert recorded_cues({"prefers_contact_by": "letter", "unrelated": 3}) == [
        StyleCue("contact_by", "letter", "on record", recorded=True)
    ]


def test_duration_words() -> None:
    assert [duration(s) for s in (0.4, 40, 61, 150, 7200)] == [
        "1 second",
        "40 seconds",
        "1 minute",
        "2 minutes",
        "2 hours",
    ]
