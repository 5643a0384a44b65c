"""What one message shows, in the word an agent would use, and how sure that is.

The models report GoEmotions' 27 emotions and their own frustration reading; the desk
shows one word per message, only when the evidence is clear enough to say it. Rules:

* frustration (:mod:`.frustration`) at or above its line is "frustrated", whatever else;
* otherwise the clearest emotion that has a word; negative ones before positive ones, and
  no positive word on a message whose polarity reads negative;
* curiosity and realisation have no word: asking a question is not a feeling, so a
  question mark is never "surprised" (confusion and surprise need clear evidence);
  approval has none either (in GoEmotions it is mostly agreeing: "yes, that's right");
* otherwise the polarity label when it is confident ("unhappy", "pleased");
* otherwise nothing: a calm message is not flagged.

How sure is said in words from the evidence's strength (0.5 where a reading just clears
its line): :data:`SURE`, :data:`FAIRLY_SURE`, else "not sure", and the desk puts "possibly"
before a word it is not sure of.
"""

from __future__ import annotations

from dataclasses import dataclass

from warmline.domain.insight.frustration import FRUSTRATED
from warmline.domain.insight.readings import NEGATIVE, POSITIVE, MessageInsight

#: The agent's word for each emotion; emotions without one are never shown.
EMOTION_WORDS = {
    "anger": "angry",
    "annoyance": "annoyed",
    "disappointment": "disappointed",
    "disapproval": "unhappy with it",
    "disgust": "appalled",
    "fear": "worried",
    "nervousness": "anxious",
    "sadness": "upset",
    "grief": "grieving",
    "remorse": "apologetic",
    "embarrassment": "embarrassed",
    "confusion": "confused",
    "surprise": "surprised",
    "gratitude": "grateful",
    "relief": "relieved",
    "joy": "pleased",
    "admiration": "impressed",
    "love": "delighted",
    "amusement": "amused",
    "excitement": "excited",
    "optimism": "hopeful",
    "caring": "caring",
    "desire": "keen",
    "pride": "proud",
}
#: Feelings an agent should not miss.
NEGATIVE_FEELINGS = frozenset(
    {
        "frustration",
        "anger",
        "annoyance",
        "disappointment",
        "disapproval",
        "disgust",
        "fear",
        "nervousness",
        "sadness",
        "grief",
        "embarrassment",
        NEGATIVE,
    }
)
#: Every word the desk may show, by what it stands for.
WORDS = {
    **EMOTION_WORDS,
    "frustration": "frustrated",
    NEGATIVE: "unhappy",
    POSITIVE: "pleased",
    "neutral": "calm",
    "unknown": "mood unknown",
}
#: Emotions shown only on strong evidence (a question is usually neither).
NEEDS_STRONG = frozenset({"confusion", "surprise"})
STRONG = 0.75
#: A polarity label shown as a feeling needs at least this confidence.
POLARITY_WORD_CONFIDENCE = 0.7
SURE, FAIRLY_SURE = 0.8, 0.65


@dataclass(frozen=True, slots=True)
class Feeling:
    """One message's feeling in words."""

    key: str
    """'frustration', an emotion, or 'negative'/'positive' (from polarity alone)."""
    word: str
    strength: float
    """0.5 (just clears its line) to 1."""
    words: tuple[str, ...] = ()
    """The customer's words that show it (for frustration)."""

    @property
    def negative(self) -> bool:
        return self.key in NEGATIVE_FEELINGS

    @property
    def sure(self) -> str:
        return sureness(self.strength)

    @property
    def shown(self) -> str:
        """The word as the desk shows it: 'possibly annoyed' when not sure."""
        return self.word if self.strength >= FAIRLY_SURE else f"possibly {self.word}"


def sureness(strength: float) -> str:
    """'sure', 'fairly sure' or 'not sure'."""
    if strength >= SURE:
        return "sure"
    return "fairly sure" if strength >= FAIRLY_SURE else "not sure"


def frustration_strength(score: float) -> float:
    """A frustration score as evidence strength: 0.5 at the line, 1 at 1."""
    return 0.5 + 0.5 * (score - FRUSTRATED) / (1 - FRUSTRATED)


def message_feeling(insight: MessageInsight) -> Feeling | None:
    """What one message shows, or None when it shows nothing clearly (or is unreadable)."""
    if not insight.supported:
        return None
    if insight.frustration >= FRUSTRATED:
        return Feeling(
            "frustration",
            WORDS["frustration"],
            round(frustration_strength(insight.frustration), 3),
            insight.frustration_words,
        )
    reads_negative = insight.label == NEGATIVE and insight.confidence >= 0.5
    candidates = [
        (label, strength)
        for label, strength in insight.emotions
        if label in EMOTION_WORDS
        and (label not in NEEDS_STRONG or strength >= STRONG)
        and not (reads_negative and label not in NEGATIVE_FEELINGS)
    ]
    negative = [c for c in candidates if c[0] in NEGATIVE_FEELINGS]
    if negative or candidates:
        label, strength = (negative or candidates)[0]
        return Feeling(label, EMOTION_WORDS[label], strength)
    if insight.label != "neutral" and insight.confidence >= POLARITY_WORD_CONFIDENCE:
        return Feeling(insight.label, WORDS[insight.label], insight.confidence)
    return None
