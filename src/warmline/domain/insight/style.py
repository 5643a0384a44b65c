"""A customer's preferred style, as cues with their evidence: never a script.

Inferred cues compare the customer with what is usual (``PopulationStats``): brief
or detailed, casual or formal, language, the channel they choose and when, how
fast they reply. Preferences and needs recorded as facts (``preferred_name``,
``preferred_channel``, ``needs``, ``large_print``...) always win: they come first,
are marked ``recorded``, and replace any inferred cue of the same kind (whose
evidence they then mention, so the agent sees both).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from warmline.domain.insight.style_measures import (
    WEAK,
    PopulationStats,
    StyleContact,
    StyleMeasures,
    StyleMessage,
    measure,
)

MIN_MESSAGES = 3
MIN_CONTACTS = 3
BRIEF, DETAILED = 0.6, 1.6
QUICK, SLOW = 0.5, 2.0
#: A channel, part of day or the weekend must account for this share of contacts to be a habit.
HABIT = 0.6
LANGUAGES = {
    "en": "English", "cy": "Welsh", "ga": "Irish", "gd": "Scottish Gaelic", "fr": "French",
    "de": "German", "es": "Spanish", "pt": "Portuguese", "it": "Italian", "nl": "Dutch",
    "pl": "Polish", "ro": "Romanian", "lt": "Lithuanian", "ar": "Arabic", "ur": "Urdu",
    "hi": "Hindi", "pa": "Punjabi", "bn": "Bengali", "gu": "Gujarati", "ta": "Tamil",
    "zh": "Chinese", "tr": "Turkish", "uk": "Ukrainian", "ru": "Russian", "so": "Somali",
}  # fmt: skip
CHANNELS = {
    "voice": "phone", "chat": "chat", "email": "email", "app": "the app",
    "web": "the website", "branch": "a branch", "sms": "SMS", "video": "video call",
}  # fmt: skip
DAY_PARTS = (("morning", 6, 12), ("afternoon", 12, 17), ("evening", 17, 22), ("night", 22, 30))
NEEDS_FLAGS = {
    "large_print": "large print",
    "hard_of_hearing": "hard of hearing",
    "braille": "braille",
    "needs_interpreter": "an interpreter",
    "vulnerable": "extra care (recorded as vulnerable)",
}
RECORDED_KINDS = {
    "preferred_name": "name",
    "preferred_channel": "channel",
    "preferred_language": "language",
    "preferred_contact_time": "timing",
    "preferred_style": "register",
}


@dataclass(frozen=True, slots=True)
class StyleCue:
    """One thing about how the customer likes to be dealt with, and why we think so."""

    kind: str
    """'name', 'needs', 'length', 'register', 'language', 'channel', 'timing', 'pace', ..."""
    value: str
    """'brief', 'casual', 'email', 'evening', 'hard of hearing', ..."""
    evidence: str
    """'messages average 9 words; most customers write 23'."""
    recorded: bool = False
    """True for a preference or need on record (it overrides inference)."""


def _quoted(counts: Mapping[str, int], limit: int = 3) -> str:
    names = [m for m, _ in Counter(counts).most_common() if m != WEAK][:limit]
    shown = [n if n in ("emoji", "no capitals", "!!") else f"“{n}”" for n in names]
    shown = ["lower-case starts" if s == "no capitals" else s for s in shown]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def duration(seconds: float) -> str:
    """'40 seconds', '2 minutes', '3 hours'."""
    size, unit = (
        (3600, "hour") if seconds >= 3600 else (60, "minute") if seconds >= 60 else (1, "second")
    )
    n = max(1, round(seconds / size))
    return f"{n} {unit}{'' if n == 1 else 's'}"


def _day_part(hour: int) -> str:
    for name, start, end in DAY_PARTS:
        # The night runs past midnight: hours 0-5 count as 24-29.
        if start <= (hour if hour >= 6 else hour + 24) < end:
            return name
    raise ValueError(f"hour {hour} is not in a day part")


def _length(m: StyleMeasures, population: PopulationStats) -> StyleCue | None:
    words = m.words_per_message
    if words is None or m.messages < MIN_MESSAGES:
        return None
    usual = population.words_per_message
    evidence = f"messages average {words:.0f} words; most customers write {usual:.0f}"
    if words <= BRIEF * usual:
        return StyleCue("length", "brief", evidence)
    if words >= DETAILED * usual:
        return StyleCue("length", "detailed", evidence)
    return None


def _register(m: StyleMeasures) -> StyleCue | None:
    if m.messages < MIN_MESSAGES:
        return None
    for value, n, found in (
        ("casual", m.messages_with_casual, m.casual_markers),
        ("formal", m.messages_with_formal, m.formal_markers),
    ):
        if n >= 2 and n >= m.messages / 2:
            return StyleCue(
                "register", value, f"writes {_quoted(found)} ({n} of {m.messages} messages)"
            )
    return None


def _language(messages: Sequence[StyleMessage]) -> StyleCue | None:
    found = Counter(m.language for m in messages if m.speaker == "customer" and m.language)
    if not found:
        return None
    total = sum(found.values())
    code, n = found.most_common(1)[0]
    name = LANGUAGES.get(code, code)
    if n == total:
        evidence = f"all {total} messages in {name}" if total > 1 else f"one message, in {name}"
    else:
        evidence = f"{n} of {total} messages in {name}"
    return StyleCue("language", code, evidence)


def _channel(contacts: Sequence[StyleContact]) -> StyleCue | None:
    chosen = [c for c in contacts if c.customer_initiated]
    if len(chosen) < MIN_CONTACTS:
        return None
    channel, n = Counter(c.channel for c in chosen).most_common(1)[0]
    if n < HABIT * len(chosen):
        return None
    where = CHANNELS.get(channel, channel)
    return StyleCue("channel", channel, f"{n} of {len(chosen)} contacts by {where}")


def _timing(contacts: Sequence[StyleContact], tz: dt.tzinfo) -> list[StyleCue]:
    chosen = [c.started_at.astimezone(tz) for c in contacts if c.customer_initiated]
    if len(chosen) < MIN_CONTACTS:
        return []
    cues = []
    parts = Counter(_day_part(t.hour) for t in chosen)
    part, n = parts.most_common(1)[0]
    if n >= HABIT * len(chosen):
        start, end = next((s, e) for name, s, e in DAY_PARTS if name == part)
        cues.append(
            StyleCue(
                "timing",
                part,
                f"{n} of {len(chosen)} contacts started between {start:02d}:00 "
                f"and {end % 24:02d}:00",
            )
        )
    weekend = sum(1 for t in chosen if t.weekday() >= 5)
    if weekend >= HABIT * len(chosen):
        cues.append(
            StyleCue("timing", "weekend", f"{weekend} of {len(chosen)} contacts at weekends")
        )
    return cues


def _pace(m: StyleMeasures, population: PopulationStats) -> StyleCue | None:
    usual = population.reply_seconds
    if m.reply_seconds is None or usual is None or m.replies < MIN_MESSAGES:
        return None
    evidence = (
        f"answers agents in about {duration(m.reply_seconds)} in chat; "
        f"most customers take {duration(usual)}"
    )
    if m.reply_seconds <= QUICK * usual:
        return StyleCue("pace", "quick", evidence)
    if m.reply_seconds >= SLOW * usual:
        return StyleCue("pace", "unhurried", evidence)
    return None


def _value(fact: Any) -> tuple[Any, str | None]:
    """A fact as plain value, or as the ``{"value", "source", ...}`` record traits use."""
    if isinstance(fact, Mapping) and "value" in fact:
        source = fact.get("source")
        return fact["value"], None if source is None else str(source)
    return fact, None


def recorded_cues(facts: Mapping[str, Any]) -> list[StyleCue]:
    """Preferences and needs on record, in a stable order."""
    cues = []
    for key in sorted(facts):
        value, source = _value(facts[key])
        if value is None or value is False or value == "":
            continue
        note = f"on record (from {source})" if source else "on record"
        if key in NEEDS_FLAGS and value is True:
            cues.append(StyleCue("needs", NEEDS_FLAGS[key], note, recorded=True))
        elif key == "needs":
            for need in [value] if isinstance(value, str) else list(value):
                cues.append(StyleCue("needs", str(need), note, recorded=True))
        elif key in RECORDED_KINDS:
            cues.append(StyleCue(RECORDED_KINDS[key], str(value), note, recorded=True))
        elif key.startswith(("preferred_", "prefers_")):
            kind = key.removeprefix("preferred_").removeprefix("prefers_")
            cues.append(StyleCue(kind, str(value), note, recorded=True))
    # Needs first: they are what an agent must not get wrong.
    return sorted(cues, key=lambda c: (c.kind != "needs", c.kind != "name"))


def style_profile(
    messages: Sequence[StyleMessage],
    contacts: Sequence[StyleContact],
    population: PopulationStats | None,
    facts: Mapping[str, Any] | None = None,
    *,
    tz: dt.tzinfo = dt.UTC,
) -> list[StyleCue]:
    """The customer's style cues: recorded ones first, then what their history shows.

    ``messages`` are the customer's recent messages (agents' replies too, for the pace),
    ``contacts`` their recent interactions, ``population`` what is usual (without it
    the cues that compare with other customers are left out), ``facts`` their recorded
    preferences and needs, ``tz`` the time zone their contact times are read in.
    """
    recorded = recorded_cues(facts or {})
    measured = measure(messages)
    inferred = [
        _length(measured, population) if population else None,
        _register(measured),
        _language(messages),
        _pace(measured, population) if population else None,
        _channel(contacts),
    ]
    found = [c for c in inferred if c is not None] + _timing(contacts, tz)
    taken = {c.kind for c in recorded}
    overridden = {c.kind: c for c in found if c.kind in taken}
    recorded = [
        StyleCue(c.kind, c.value, f"{c.evidence}; history shows {o.value}: {o.evidence}", True)
        if (o := overridden.get(c.kind)) and o.value != c.value
        else c
        for c in recorded
    ]
    return recorded + [c for c in found if c.kind not in taken]
