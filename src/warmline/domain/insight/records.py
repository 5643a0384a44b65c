"""Insight as it is stored in the memory: plain JSON for messages, interactions and cards.

The models' results (:mod:`warmline.domain.insight`) are frozen dataclasses; the
memory keeps them as JSON next to the message or interaction they describe, and reads
them back to build a customer's mood without running a model again. The layout is
documented in ``docs/insight.md``; JSON stored before a field existed reads with that
field's default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from warmline.domain.insight import InteractionMood, MessageInsight, ReasonPrediction
from warmline.domain.insight.mood import mood_fields
from warmline.domain.insight.readings import FAST, NEUTRAL

#: Probabilities are kept to three places: enough to rank, small to store.
PLACES = 3


def insight_json(insight: MessageInsight) -> dict[str, Any]:
    """A message's insight as stored with the message."""
    return {
        "label": insight.label,
        "confidence": round(insight.confidence, PLACES),
        "sentiment": round(insight.sentiment, PLACES),
        "frustration": round(insight.frustration, PLACES),
        "frustration_words": list(insight.frustration_words),
        "emotions": [[label, round(p, PLACES)] for label, p in insight.emotions],
        "language": insight.language,
        "supported": insight.supported,
        "empty": insight.empty,
        "emoji_only": insight.emoji_only,
        "truncated": insight.truncated,
        "reading": insight.reading,
        "unsure": insight.unsure,
    }


def insight_from_json(data: Mapping[str, Any]) -> MessageInsight:
    return MessageInsight(
        sentiment=float(data["sentiment"]),
        emotions=tuple((str(label), float(p)) for label, p in data["emotions"]),
        language=data.get("language"),
        supported=bool(data["supported"]),
        empty=bool(data.get("empty")),
        emoji_only=bool(data.get("emoji_only")),
        truncated=bool(data.get("truncated")),
        label=str(data.get("label") or NEUTRAL),
        confidence=float(data.get("confidence") or 0.0),
        frustration=float(data.get("frustration") or 0.0),
        frustration_words=tuple(str(w) for w in data.get("frustration_words") or ()),
        reading=str(data.get("reading") or FAST),
        unsure=bool(data.get("unsure")),
    )


def mood_json(mood: InteractionMood) -> dict[str, Any]:
    """An interaction's mood as stored with the interaction."""
    # Field by field: dataclasses.asdict deep-copies, several times slower on the hot path.
    data = {name: getattr(mood, name) for name in _MOOD_FIELDS}
    data["at"] = mood.at.isoformat() if mood.at else None
    data["evidence"] = list(mood.evidence)
    return data


def mood_from_json(data: Mapping[str, Any]) -> InteractionMood:
    values = {k: v for k, v in data.items() if k in _MOOD_FIELDS}
    values["at"] = dt.datetime.fromisoformat(values["at"]) if values.get("at") else None
    values["evidence"] = tuple(values.get("evidence") or ())
    return InteractionMood(**values)


_MOOD_FIELDS = tuple(sorted(mood_fields()))


def prediction_json(prediction: ReasonPrediction) -> dict[str, Any]:
    """The reason a contact's first messages point to, as stored with the interaction."""
    return {
        "label": prediction.label,
        "confidence": round(prediction.confidence, PLACES),
        "top": [[label, round(p, PLACES)] for label, p in prediction.top],
        "why_unknown": prediction.why_unknown,
    }
