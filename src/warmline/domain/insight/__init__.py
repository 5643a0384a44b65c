"""Conversation insight: feelings, style and reasons, from plain data, on a CPU, offline.

Pure domain logic: no database, no network. Models are small numpy archives shipped
in ``models/`` (see its ``ATTRIBUTION.md``) or trained in-process from an
organisation's own labelled interactions.
"""

from __future__ import annotations

from warmline.domain.insight.emotions import MessageInsight, analyse_messages
from warmline.domain.insight.mood import (
    CustomerMood,
    InteractionMood,
    customer_mood,
    interaction_mood,
)
from warmline.domain.insight.reasons import (
    ReasonModel,
    ReasonPrediction,
    TrainReport,
    default_reason_model,
)
from warmline.domain.insight.style import StyleCue, style_profile
from warmline.domain.insight.style_measures import (
    PopulationStats,
    StyleContact,
    StyleMessage,
    population_stats,
)

__all__ = [
    "CustomerMood",
    "InteractionMood",
    "MessageInsight",
    "PopulationStats",
    "ReasonModel",
    "ReasonPrediction",
    "StyleContact",
    "StyleCue",
    "StyleMessage",
    "TrainReport",
    "analyse_messages",
    "customer_mood",
    "default_reason_model",
    "interaction_mood",
    "population_stats",
    "style_profile",
]
