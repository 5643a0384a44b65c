"""How a customer feels, in words an agent can act on, with the line that shows it and how
sure that is.

From the per-message readings (:mod:`.feeling_words`): one interaction's mood (the
strongest feeling and the customer's own words that show it, how their first and last
lines compare, how it ended), and a customer's mood over their recent interactions
("frustrated, getting worse over the last three contacts"). Information for the agent,
never a script: there is no suggested reply here.

* Negative feelings lead: a complaint that ends with a polite "cheers" is still a
  complaint, and an agent who misses frustration costs more than one who misses pleasure.
* The trend compares like with like, the customer's first line with their last, and
  says "no clear change" unless both read clearly and differ clearly. Pleasantries ("OK,
  thanks.", "cheers") are manners, not a mood: they show no feeling and are no line to
  compare.
* The mood agrees with what happened: an interaction that ended escalated, unresolved or
  abandoned, or was transferred, with a negative last customer line, is never "calmer"
  or "happier by the end"; how it ended is said.
* Over several contacts, recent and strong evidence weighs more.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields

from warmline.domain.conversation.turns import substance_words
from warmline.domain.insight.feeling_words import (
    FAIRLY_SURE,
    NEGATIVE_FEELINGS,
    WORDS,
    Feeling,
    message_feeling,
    sureness,
)
from warmline.domain.insight.readings import NEGATIVE as NEGATIVE_LABEL
from warmline.domain.insight.readings import POSITIVE as POSITIVE_LABEL
from warmline.domain.insight.readings import UNKNOWN, MessageInsight

#: Kept for callers that map an emotion key to its word.
FEELINGS = WORDS
#: Feelings an agent should not miss.
NEGATIVE = NEGATIVE_FEELINGS
#: Sentiment at or below this is a negative message (the card's summary of a contact).
NEGATIVE_SENTIMENT = -0.4
#: First and last customer lines must differ by this much sentiment to be a trend...
TREND_STEP = 0.4
#: ...and each must be read with at least this confidence.
TREND_CONFIDENCE = 0.55
#: Between contacts, each step must move at least this much to count.
CONTACT_STEP = 0.1
#: How many recent contacts the customer's mood looks at.
RECENT_CONTACTS = 5
#: Each older contact weighs this much less than the one after it.
RECENCY = 0.6
LINE_CHARS = 120
_COUNTS = {2: "two", 3: "three", 4: "four", 5: "five"}
#: Outcomes that say the contact did not end well, in words.
BAD_ENDINGS = {
    "escalated": "ended escalated",
    "unresolved": "ended unresolved",
    "abandoned": "abandoned",
}

IMPROVING, WORSENING, STEADY, UNCLEAR = "improving", "worsening", "steady", "no clear change"


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
    """'improving', 'worsening', 'steady' (one line, or agreeing first and last lines),
    'no clear change' (thin evidence), or 'unknown' when no message could be read."""
    dominant: str
    """What the strongest feeling stands for ('frustration', an emotion, 'negative'...),
    'neutral' when nothing stood out, or 'unknown'."""
    feeling: str
    """The agent's word for it: 'frustrated', 'worried', 'calm', ..."""
    line: str | None
    """The customer's own words that show it, quoted and shortened."""
    at: dt.datetime | None
    """When the last customer message was."""
    messages: int
    """Customer messages the models could read."""
    words: str
    """All of it in a phrase: 'frustrated, still at the end; ended escalated'."""
    strength: float = 0.0
    """How clear the feeling is (0.5 just clear, 1 unmistakable; 0 for calm or unknown)."""
    sure: str | None = None
    """'sure', 'fairly sure' or 'not sure' of the feeling; None when nothing stood out."""
    ending: str | None = None
    """How the contact ended when that was not well ('ended escalated', 'transferred')."""
    evidence: tuple[str, ...] = ()
    """The customer's words that show frustration, when that is the feeling."""


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
    sure: str | None = None
    """How sure the feeling is ('sure', 'fairly sure', 'not sure'); None for calm."""


def quote(text: str, limit: int = LINE_CHARS) -> str:
    """The customer's words in quotation marks, cut at a word boundary to ``limit``."""
    text = " ".join(text.split())
    if len(text) > limit:
        cut = text[: limit - 1]
        text = (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(",;:") + "…"
    return f"“{text}”"


#: How much a feeling says, by what it comes from: frustration names the trouble, an emotion
#: names a feeling, a polarity label alone only says negative or positive.
_SAYS = {"frustration": 1.0, NEGATIVE_LABEL: 0.6, POSITIVE_LABEL: 0.6}


def _strongest(feelings: Sequence[Feeling | None]) -> tuple[Feeling | None, int]:
    """The strongest feeling (negative ones first) and the index of its message."""
    best: tuple[bool, float, int] = (False, 0.0, -1)
    for i, feeling in enumerate(feelings):
        if feeling is None:
            continue
        weight = feeling.strength * _SAYS.get(feeling.key, 0.9)
        if (feeling.negative, weight) > best[:2]:
            best = (feeling.negative, weight, i)
    return (feelings[best[2]], best[2]) if best[2] >= 0 else (None, -1)


def _trend(first: MessageInsight, last: MessageInsight, last_negative: bool) -> str:
    """First against last customer line; 'no clear change' unless both are clear."""
    clear = min(first.confidence, last.confidence) >= TREND_CONFIDENCE
    change = last.sentiment - first.sentiment
    if not clear or abs(change) < TREND_STEP:
        return STEADY if clear and first.label == last.label else UNCLEAR
    if change > 0 and last_negative:
        return UNCLEAR  # less negative words, but still a negative line: not "calmer"
    return IMPROVING if change > 0 else WORSENING


def ending(outcome: str | None, transfers: int) -> str | None:
    """How a contact ended, in words, when it did not end well."""
    said = BAD_ENDINGS.get(outcome or "")
    if transfers and not said:
        return "transferred" if transfers == 1 else f"transferred {transfers} times"
    return said


def interaction_mood(
    points: Sequence[tuple[dt.datetime, str, MessageInsight]],
    *,
    outcome: str | None = None,
    transfers: int = 0,
) -> InteractionMood:
    """The mood of one interaction from its customer messages, in order, with their text;
    ``outcome`` and ``transfers`` say how it ended (or None while it is open)."""
    readable = [p for p in points if p[2].supported]
    at = points[-1][0] if points else None
    ended = ending(outcome, transfers)
    if not readable:
        unknown = WORDS[UNKNOWN]
        return InteractionMood(
            None, None, None, UNKNOWN, UNKNOWN, unknown, None, at, 0, unknown, ending=ended
        )
    sentiments = [p[2].sentiment for p in readable]
    # "OK, thanks." is manners, not a mood: pleasantries show no feeling and no trend.
    said = [bool(substance_words(text)) for _, text, _ in readable]
    feelings = [message_feeling(p[2]) if s else None for p, s in zip(readable, said, strict=True)]
    strongest, where = _strongest(feelings)
    substantive = [p[2] for p, s in zip(readable, said, strict=True) if s]
    last_said = [f for f, s in zip(feelings, said, strict=True) if s]
    last_negative = False
    if substantive:
        last, last_feeling = substantive[-1], last_said[-1]
        last_negative = (last_feeling is not None and last_feeling.negative) or (
            last.label == "negative" and last.confidence >= TREND_CONFIDENCE
        )
    trend = (
        _trend(substantive[0], substantive[-1], last_negative) if len(substantive) > 1 else STEADY
    )
    if strongest is None:
        dominant, feeling, strength = "neutral", WORDS["neutral"], 0.0
    else:
        dominant, feeling, strength = strongest.key, strongest.word, strongest.strength
    phrase = feeling if strength == 0.0 or strength >= FAIRLY_SURE else f"possibly {feeling}"
    if ended and last_negative and trend == IMPROVING:
        trend = UNCLEAR
    if trend == IMPROVING:
        negative = strongest is not None and strongest.negative
        phrase += ", calmer by the end" if negative else ", happier by the end"
    elif trend == WORSENING:
        phrase += ", getting worse as the conversation went on"
    elif ended and last_negative and strongest is not None and strongest.negative:
        phrase += ", still at the end"
    elif trend == UNCLEAR and strongest is not None:
        phrase += ", no clear change"
    if ended:
        phrase += f"; {ended}"
    return InteractionMood(
        start=sentiments[0],
        end=sentiments[-1],
        level=round(sum(sentiments) / len(sentiments), 3),
        trend=trend,
        dominant=dominant,
        feeling=feeling,
        line=quote(readable[where][1]) if where >= 0 else None,
        at=at,
        messages=len(readable),
        words=phrase,
        strength=strength,
        sure=sureness(strength) if strength else None,
        ending=ended,
        evidence=strongest.words if strongest is not None else (),
    )


def mood_fields() -> frozenset[str]:
    """The names of :class:`InteractionMood`'s fields (what a stored mood may hold)."""
    return frozenset(f.name for f in fields(InteractionMood))


def _run(levels: Sequence[float], direction: int) -> int:
    """How many of the latest steps between contacts moved in ``direction`` (+1 or -1)."""
    steps = 0
    for before, after in zip(levels[-2::-1], levels[::-1], strict=False):
        if (after - before) * direction < CONTACT_STEP:
            break
        steps += 1
    return steps


def _weighed(window: Sequence[InteractionMood]) -> tuple[str, float]:
    """The feeling with the most evidence, each contact's weighed by how recent and how
    strong it is; negative feelings first when there are any. Ties go to the newest."""
    weights: defaultdict[str, float] = defaultdict(float)
    for age, mood in enumerate(reversed(window)):
        if mood.dominant not in (UNKNOWN, "neutral"):
            weights[mood.dominant] += (RECENCY**age) * max(mood.strength, 0.5)
    if not weights:
        return window[-1].dominant, 0.0
    negative = {k: w for k, w in weights.items() if k in NEGATIVE}
    pool = negative or weights
    top = max(pool.values())
    dominant = next(
        m.dominant for m in reversed(window) if pool.get(m.dominant, -1.0) >= top - 1e-9
    )
    strength = max(m.strength for m in window if m.dominant == dominant)
    return dominant, strength


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
        unknown = WORDS[UNKNOWN]
        return CustomerMood(unknown, UNKNOWN, UNKNOWN, 0, unknown, None, None)
    levels = [m.level for m in recent if m.level is not None]
    window = recent[-3:]
    dominant, strength = _weighed(window)
    feeling = WORDS.get(dominant, dominant)
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
        sure=sureness(strength) if strength else None,
    )
