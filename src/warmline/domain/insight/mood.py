"""How a customer feels, in words an agent can act on, with the line that shows it.

From the per-message insight of :mod:`emotions`: one interaction's mood (how it
started and ended, the trend, the strongest feeling and the customer's own words
that show it), and a customer's mood over their recent interactions ("frustrated,
getting worse over the last three contacts"). Information for the agent, never a
script: there is no suggested reply here.

Negative feelings lead: a complaint that ends with a polite "cheers" is still a
complaint (the trend says it ended better), and an agent who misses a customer's
frustration costs more than one who misses their pleasure. A clearly negative
message the emotion model calls neutral ("I'm fed up") still counts, as "unhappy".
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from warmline.domain.insight.readings import UNKNOWN, MessageInsight

#: The word an agent would use for each emotion of the model.
FEELINGS = {
    "anger": "frustrated",
    "disgust": "appalled",
    "fear": "worried",
    "sadness": "upset",
    "joy": "pleased",
    # The model's "surprise" is Ekman's group in GoEmotions: confusion, curiosity,
    # realisation and surprise. A customer asking "can you just remove it?" is puzzled,
    # not astonished.
    "surprise": "puzzled or surprised",
    "neutral": "calm",
    "negative": "unhappy",
    UNKNOWN: "mood unknown",
}
#: Emotions (and the sentiment-only "negative") an agent should not miss.
NEGATIVE = frozenset({"anger", "disgust", "fear", "sadness", "negative"})
#: Sentiment at or below this is a negative message even if no negative emotion is named.
NEGATIVE_SENTIMENT = -0.4
#: A change in sentiment smaller than this is not a trend.
TREND_STEP = 0.3
#: Between contacts, each step must move at least this much to count.
CONTACT_STEP = 0.1
#: How many recent contacts the customer's mood looks at.
RECENT_CONTACTS = 5
LINE_CHARS = 120
_COUNTS = {2: "two", 3: "three", 4: "four", 5: "five"}

IMPROVING, WORSENING, STEADY = "improving", "worsening", "steady"


@dataclass(frozen=True, slots=True)
class InteractionMood:
    """The customer's mood in one interaction."""

    start: float | None
    """Sentiment of the first readable customer message (-1..1); None if none was readable."""
    end: float | None
    """Sentiment of the last readable customer message."""
    level: float | None
    """Mean sentiment over the readable messages."""
    trend: str
    """'improving', 'worsening', 'steady', or 'unknown' when no message could be read."""
    dominant: str
    """The strongest emotion expressed (non-neutral ones first), 'neutral' or 'unknown'."""
    feeling: str
    """The agent's word for it: 'frustrated', 'worried', 'calm', ..."""
    line: str | None
    """The customer's own words that show it, quoted and shortened."""
    at: dt.datetime | None
    """When the last customer message was."""
    messages: int
    """Customer messages the models could read."""
    words: str
    """All of it in a phrase: 'frustrated, calmer by the end'."""


@dataclass(frozen=True, slots=True)
class CustomerMood:
    """The customer's mood over their recent interactions."""

    feeling: str
    dominant: str
    trend: str
    """'improving', 'worsening', 'steady' or 'unknown', over the recent contacts."""
    contacts: int
    """How many recent contacts with a readable mood this is drawn from."""
    words: str
    """'frustrated, getting worse over the last three contacts'."""
    line: str | None
    line_at: dt.datetime | None


def quote(text: str, limit: int = LINE_CHARS) -> str:
    """The customer's words in quotation marks, cut at a word boundary to ``limit``."""
    text = " ".join(text.split())
    if len(text) > limit:
        cut = text[: limit - 1]
        text = (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(",;:") + "…"
    return f"“{text}”"


def _strongest(readable: Sequence[tuple[dt.datetime, str, MessageInsight]]) -> tuple[str, int]:
    """The strongest feeling (negative ones first) and the index of the message showing it."""
    best: tuple[bool, float, str, int] = (False, 0.0, "neutral", -1)
    for i, (_, _, insight) in enumerate(readable):
        candidates = [(label, p) for label, p in insight.emotions if label != "neutral"]
        if insight.sentiment <= NEGATIVE_SENTIMENT and not NEGATIVE & {c for c, _ in candidates}:
            # Half weight: a named negative emotion elsewhere shows the feeling better.
            candidates.append(("negative", -insight.sentiment / 2))
        for label, p in candidates:
            key = (label in NEGATIVE, p, label, i)
            if key[:2] > best[:2]:
                best = key
    return best[2], best[3]


def _trend(start: float, end: float, step: float = TREND_STEP) -> str:
    if end - start >= step:
        return IMPROVING
    if start - end >= step:
        return WORSENING
    return STEADY


def interaction_mood(points: Sequence[tuple[dt.datetime, str, MessageInsight]]) -> InteractionMood:
    """The mood of one interaction from its customer messages, in order, with their text."""
    readable = [p for p in points if p[2].supported and p[2].emotions]
    at = points[-1][0] if points else None
    if not readable:
        return InteractionMood(
            None, None, None, UNKNOWN, UNKNOWN, FEELINGS[UNKNOWN], None, at, 0, FEELINGS[UNKNOWN]
        )
    sentiments = [p[2].sentiment for p in readable]
    start, end = sentiments[0], sentiments[-1]
    trend = _trend(start, end) if len(readable) > 1 else STEADY
    dominant, where = _strongest(readable)
    feeling = FEELINGS[dominant]
    words = feeling
    if trend == IMPROVING:
        words += ", calmer by the end" if dominant in NEGATIVE else ", happier by the end"
    elif trend == WORSENING:
        words += ", getting worse as the conversation went on"
        if dominant not in NEGATIVE:
            words = f"{feeling} at first, less so by the end"
    return InteractionMood(
        start=start,
        end=end,
        level=round(sum(sentiments) / len(sentiments), 3),
        trend=trend,
        dominant=dominant,
        feeling=feeling,
        line=quote(readable[where][1]) if where >= 0 else None,
        at=at,
        messages=len(readable),
        words=words,
    )


def _run(levels: Sequence[float], direction: int) -> int:
    """How many of the latest steps between contacts moved in ``direction`` (+1 or -1)."""
    steps = 0
    for before, after in zip(levels[-2::-1], levels[::-1], strict=False):
        if (after - before) * direction < CONTACT_STEP:
            break
        steps += 1
    return steps


def _recurring(window: Sequence[InteractionMood]) -> str:
    """The feeling of the last few contacts: negative ones first, then the most frequent.

    Ties go to the most recent contact.
    """
    for wanted in (NEGATIVE, set(FEELINGS) - {"neutral", UNKNOWN}):
        counts = Counter(m.dominant for m in window if m.dominant in wanted)
        if counts:
            top = max(counts.values())
            return next(m.dominant for m in reversed(window) if counts[m.dominant] == top)
    return window[-1].dominant


def _contact_trend(levels: Sequence[float], feeling: str, *, negative: bool) -> tuple[str, str]:
    """Trend over the latest contacts and the phrase for it."""
    worse, better = _run(levels, -1), _run(levels, +1)
    if not worse and not better:
        return STEADY, feeling
    steps = worse or better
    span = "than last time" if steps == 1 else f"over the last {_COUNTS[steps + 1]} contacts"
    if worse:
        change = "getting worse" if negative else "less so"
        return WORSENING, f"{feeling}, {'worse' if negative and steps == 1 else change} {span}"
    change = "better" if steps == 1 else "improving"
    return IMPROVING, f"{feeling}, {change} {span}" if negative else f"{feeling}, more so {span}"


def customer_mood(moods: Sequence[InteractionMood]) -> CustomerMood:
    """The customer's mood over recent interactions (newest last), in words."""
    recent = [m for m in moods if m.level is not None][-RECENT_CONTACTS:]
    if not recent:
        return CustomerMood(FEELINGS[UNKNOWN], UNKNOWN, UNKNOWN, 0, FEELINGS[UNKNOWN], None, None)
    levels = [m.level for m in recent if m.level is not None]
    window = recent[-3:]
    dominant = _recurring(window)
    feeling = FEELINGS[dominant]
    trend, words = _contact_trend(levels, feeling, negative=dominant in NEGATIVE)
    if trend == STEADY:
        repeated = sum(1 for m in window if m.dominant == dominant)
        if dominant in NEGATIVE and repeated > 1:
            share = "each" if repeated == len(window) else _COUNTS[repeated]
            words = f"{feeling} in {share} of the last {_COUNTS[len(window)]} contacts"
    shown = next((m for m in reversed(window) if m.dominant == dominant and m.line), None)
    return CustomerMood(
        feeling=feeling,
        dominant=dominant,
        trend=trend,
        contacts=len(recent),
        words=words,
        line=shown.line if shown else None,
        line_at=shown.at if shown else None,
    )
