"""Measuring how a customer writes and gets in touch, and what is usual across customers.

Plain data in (:class:`StyleMessage`, :class:`StyleContact`), numbers out
(:class:`StyleMeasures`); :func:`population_stats` condenses many customers into a
:class:`PopulationStats` the integrator stores (``to_dict`` / ``from_dict``) and
passes to :func:`warmline.domain.insight.style.style_profile`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from warmline.domain.insight.message_text import is_emoji

#: Channels where a reply within seconds or minutes is possible: pace is measured there.
LIVE_TEXT_CHANNELS = frozenset({"chat", "app", "web", "sms", "whatsapp", "messaging", "social"})
# A reply after this long is a new conversation, not a pace.
_MAX_REPLY = dt.timedelta(hours=2)

# "Hi" and "Hello" are how nearly everyone starts: neither casual nor formal.
CASUAL_GREETINGS = ("hey", "hiya", "heya", "yo", "sup", "howdy")
FORMAL_GREETINGS = ("good morning", "good afternoon", "good evening", "dear")
CASUAL_WORDS = frozenset(
    [
        "thx",
        "thanx",
        "ta",
        "cheers",
        "pls",
        "plz",
        "u",
        "ur",
        "gonna",
        "wanna",
        "lol",
        "tbh",
        "btw",
        "cool",
        "yeah",
        "yep",
        "nope",
        "mate",
        "brilliant",
        "awesome",
    ]
)
#: Contractions are a weak sign (formal writers use them too): on their own they do
#: not make a message casual.
WEAK = "contractions"
FORMAL_PHRASES = (
    "thank you",
    "kind regards",
    "regards",
    "yours sincerely",
    "yours faithfully",
    "could you please",
    "would you",
    "i would like",
    "i would be grateful",
    "please could",
)
_CONTRACTION = re.compile(r"\b\w+'(?:m|re|s|ve|ll|d|t)\b|\b(?:dont|cant|wont|im|ive|didnt)\b")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


@dataclass(frozen=True, slots=True)
class StyleMessage:
    """One message of an interaction, customer's or agent's (agents' set the reply pace)."""

    text: str
    at: dt.datetime
    channel: str
    interaction_id: str
    speaker: str = "customer"
    language: str | None = None
    """Detected language, if known (``MessageInsight.language``)."""


@dataclass(frozen=True, slots=True)
class StyleContact:
    """One interaction: the channel the customer used and when it started."""

    channel: str
    started_at: dt.datetime
    customer_initiated: bool = True
    """False for contacts the organisation started (outbound calls): not the customer's choice."""


@dataclass(frozen=True, slots=True)
class StyleMeasures:
    """Numbers about one customer's writing, each with what it was measured on."""

    messages: int
    words_per_message: float | None
    casual_markers: dict[str, int] = field(default_factory=dict)
    formal_markers: dict[str, int] = field(default_factory=dict)
    messages_with_casual: int = 0
    """Messages with a casual marker other than contractions."""
    messages_with_formal: int = 0
    """Messages with a formal marker and no casual one (contractions aside)."""
    reply_seconds: float | None = None
    """Median time to answer an agent on live text channels."""
    replies: int = 0


@dataclass(frozen=True, slots=True)
class PopulationStats:
    """What is usual across customers: medians of per-customer measures."""

    customers: int
    words_per_message: float
    reply_seconds: float | None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, for storage."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PopulationStats:
        """The inverse of :meth:`to_dict`."""
        reply = data.get("reply_seconds")
        return cls(
            customers=int(data["customers"]),
            words_per_message=float(data["words_per_message"]),
            reply_seconds=None if reply is None else float(reply),
        )


def markers(text: str) -> tuple[list[str], list[str]]:
    """The casual and the formal markers in one message (greetings, contractions, emoji...)."""
    lowered = " ".join(text.lower().split())
    tokens = _WORD.findall(lowered)
    casual: list[str] = []
    formal: list[str] = []
    if tokens and tokens[0] in CASUAL_GREETINGS:
        casual.append(tokens[0])
    elif any(lowered.startswith(g) for g in FORMAL_GREETINGS):
        formal.append(next(g for g in FORMAL_GREETINGS if lowered.startswith(g)))
    casual += [t for t in tokens[1:] if t in CASUAL_WORDS]
    if tokens and tokens[0] in CASUAL_WORDS and tokens[0] not in CASUAL_GREETINGS:
        casual.append(tokens[0])
    casual += [WEAK] if _CONTRACTION.search(lowered) else []
    casual += ["emoji"] if any(is_emoji(ch) for ch in text) else []
    casual += ["!!"] if "!!" in text or "??" in text else []
    if text[:1].islower():
        casual.append("no capitals")
    formal += [p for p in FORMAL_PHRASES if p in lowered]
    return casual, formal


def _reply_delays(messages: Sequence[StyleMessage]) -> list[float]:
    """Seconds from each agent message to the customer's next one, on live text channels."""
    delays = []
    by_interaction: dict[str, list[StyleMessage]] = {}
    for m in messages:
        if m.channel in LIVE_TEXT_CHANNELS:
            by_interaction.setdefault(m.interaction_id, []).append(m)
    for thread in by_interaction.values():
        thread.sort(key=lambda m: m.at)
        for before, after in itertools.pairwise(thread):
            if before.speaker != "customer" and after.speaker == "customer":
                gap = after.at - before.at
                if dt.timedelta(0) <= gap <= _MAX_REPLY:
                    delays.append(gap.total_seconds())
    return delays


def measure(messages: Sequence[StyleMessage]) -> StyleMeasures:
    """How one customer writes, from their messages (agents' messages set the pace only)."""
    own = [m for m in messages if m.speaker == "customer" and m.text.strip()]
    casual: dict[str, int] = {}
    formal: dict[str, int] = {}
    with_casual = with_formal = 0
    for m in own:
        found_casual, found_formal = markers(m.text)
        strong_casual = bool(set(found_casual) - {WEAK})
        with_casual += strong_casual
        with_formal += bool(found_formal) and not strong_casual
        for marker in found_casual:
            casual[marker] = casual.get(marker, 0) + 1
        for marker in found_formal:
            formal[marker] = formal.get(marker, 0) + 1
    delays = _reply_delays(messages)
    return StyleMeasures(
        messages=len(own),
        words_per_message=(
            statistics.fmean(len(_WORD.findall(m.text)) for m in own) if own else None
        ),
        casual_markers=casual,
        formal_markers=formal,
        messages_with_casual=with_casual,
        messages_with_formal=with_formal,
        reply_seconds=statistics.median(delays) if delays else None,
        replies=len(delays),
    )


def population_stats(customers: Iterable[Sequence[StyleMessage]]) -> PopulationStats:
    """Medians over customers (each customer counts once, however much they write)."""
    words: list[float] = []
    replies: list[float] = []
    count = 0
    for messages in customers:
        measured = measure(messages)
        if measured.words_per_message is None:
            continue
        count += 1
        words.append(measured.words_per_message)
        if measured.reply_seconds is not None:
            replies.append(measured.reply_seconds)
    if not words:
        raise ValueError("no customer messages to compute population statistics from")
    return PopulationStats(
        customers=count,
        words_per_message=round(statistics.median(words), 1),
        reply_seconds=round(statistics.median(replies), 1) if replies else None,
    )
