"""Insight as it is stored in the memory: plain JSON for messages, interactions and cards.

The models' results (:mod:`warmline.domain.insight`) are frozen dataclasses; the
memory keeps them as JSON next to the message or interaction they describe, and reads
them back to build a customer's mood without running a model again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from warmline.domain.insight import InteractionMood, MessageInsight, ReasonPrediction

#: Probabilities are kept to three places: enough to rank, small to store.
PLACES = 3


def insight_json(insight: MessageInsight) -> dict[str, Any]:
    """A message's insight as stored with the message."""
    return {
        "sentiment": round(insight.sentiment, PLACES),
        "emotions": [[label, round(p, PLACES)] for label, p in insight.emotions],
        "language": insight.language,
        "supported": insight.supported,
        "empty": insight.empty,
        "emoji_only": insight.emoji_only,
        "truncated": insight.truncated,
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
    )


def mood_json(mood: InteractionMood) -> dict[str, Any]:
    """An interaction's mood as stored with the interaction."""
    # Field by field: dataclasses.asdict deep-copies, several times slower on the hot path.
    data = {f.name: getattr(mood, f.name) for f in dataclasses.fields(mood)}
    data["at"] = mood.at.isoformat() if mood.at else None
    return data


def mood_from_json(data: Mapping[str, Any]) -> InteractionMood:
    values = dict(data)
    values["at"] = dt.datetime.fromisoformat(values["at"]) if values.get("at") else None
    return InteractionMood(**values)


def prediction_json(prediction: ReasonPrediction) -> dict[str, Any]:
    """The reason a contact's first messages point to, as stored with the interaction."""
    return {
        "label": prediction.label,
        "confidence": round(prediction.confidence, PLACES),
        "top": [[label, round(p, PLACES)] for label, p in prediction.top],
        "why_unknown": prediction.why_unknown,
    }
