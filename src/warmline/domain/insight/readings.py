"""What the models read in a customer's message: how they feel, and why they got in touch.

Plain values, made by :mod:`warmline.models` and used by everything above the domain.
"""

from __future__ import annotations

from dataclasses import dataclass

UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class MessageInsight:
    """What one message says about how the customer feels."""

    sentiment: float
    """-1 (negative) to 1 (positive); 0.0 when the message could not be read."""
    emotions: tuple[tuple[str, float], ...]
    """(label, probability), strongest first; empty when the message could not be read."""
    language: str | None
    """ISO 639-1 code, or None when there are no words or the language is unclear."""
    supported: bool
    """The models could read it: English text, or emoji. False for empty messages too."""
    empty: bool = False
    emoji_only: bool = False
    truncated: bool = False
    """Longer than ``MAX_CHARS`` (see :mod:`~warmline.domain.insight.message_text`): only
    the start was read."""

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
