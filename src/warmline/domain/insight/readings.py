"""What the models read in a customer's message: how they feel, and why they got in touch.

Plain values, made by :mod:`warmline.models` and used by everything above the domain.
"""

from __future__ import annotations

from dataclasses import dataclass

UNKNOWN = "unknown"
#: The polarity labels every customer message gets, in the models' column order.
POLARITY = ("negative", "neutral", "positive")
NEGATIVE, NEUTRAL, POSITIVE = POLARITY
#: A reading made at ingest by the fast linear models, and one made after ingest by the
#: fine-tuned encoder's second opinion on the messages the fast one was unsure of.
FAST, REFINED = "fast", "refined"


@dataclass(frozen=True, slots=True)
class MessageInsight:
    """What one message says about how the customer feels."""

    sentiment: float
    """-1 (negative) to 1 (positive): P(positive) - P(negative); 0.0 when unreadable."""
    emotions: tuple[tuple[str, float], ...]
    """GoEmotions' emotions (and 'neutral') the message shows, each with its probability,
    strongest first; empty when the message could not be read or shows none clearly."""
    language: str | None
    """ISO 639-1 code, or None when there are no words or the language is unclear."""
    supported: bool
    """The models could read it: English text, or emoji. False for empty messages too."""
    empty: bool = False
    emoji_only: bool = False
    truncated: bool = False
    """Longer than ``MAX_CHARS`` (see :mod:`~warmline.domain.insight.message_text`): only
    the start was read."""
    label: str = NEUTRAL
    """'negative', 'neutral' or 'positive': the models' decision, thresholds included (an
    unreadable message is 'neutral' with confidence 0)."""
    confidence: float = 0.0
    """The probability of ``label`` (0-1, calibrated on held-out data)."""
    frustration: float = 0.0
    """0-1: how fed up with the service the message reads (see
    :mod:`~warmline.domain.insight.frustration`)."""
    frustration_words: tuple[str, ...] = ()
    """The customer's words that show the frustration, as they wrote them."""
    reading: str = FAST
    """:data:`FAST` (at ingest) or :data:`REFINED` (the second opinion has read it)."""
    unsure: bool = False
    """The fast reading was unsure: a refined reading is due, or was made."""

    @property
    def emotion(self) -> str:
        """The strongest emotion, or 'unknown' when there is none to report."""
        return self.emotions[0][0] if self.emotions else UNKNOWN


@dataclass(frozen=True, slots=True)
class ReasonPrediction:
    """The likely reason for one text, or None with the reason it is unknown."""

    label: str | None
    confidence: float
    """Probability of the best reason (0.0 when nothing could be scored)."""
    top: tuple[tuple[str, float], ...]
    """The three most likely reasons with their probabilities, even when unknown."""
    why_unknown: str | None = None
    """'empty', "language 'fr' not supported" or 'no known reason matches'."""
