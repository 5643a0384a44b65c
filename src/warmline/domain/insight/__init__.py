"""Conversation insight: feelings, style and reasons, from plain data, on a CPU, offline.

Pure domain logic: no database, no network. Models are small numpy archives shipped
in ``models/`` (see its ``ATTRIBUTION.md``) or trained in-process from an
organisation's own labelled interactions.
"""

from __future__ import annotations

from warmline.domain.insight.associations import Associations, learn_associations
from warmline.domain.insight.contact_context import (
    ContactContext,
    CustomerHistory,
    OpenCase,
    OpenCommitment,
    RecentActivity,
    RecentInteraction,
    context_at,
)
from warmline.domain.insight.likely_reasons import Evidence, LikelyReason, rank_likely_reasons
from warmline.domain.insight.mood import (
    CustomerMood,
    InteractionMood,
    customer_mood,
    interaction_mood,
)
from warmline.domain.insight.style import StyleCue, style_profile
from warmline.domain.insight.style_measures import (
    PopulationStats,
    StyleContact,
    StyleMessage,
    population_stats,
)
from warmline.models.emotions import MessageInsight, analyse_messages
from warmline.models.reasons import (
    ReasonModel,
    ReasonPrediction,
    TrainReport,
    default_reason_model,
)


def warm_up() -> None:
    """Load every model now (about a second), so the first message or contact does not wait."""
    analyse_messages(["hello", "bonjour tout le monde"])
    reasons = default_reason_model()
    reasons.predict(["my card got declined at the till"])
    if reasons.second_opinion is not None:  # its first run allocates what later runs reuse
        reasons.second_opinion.probabilities(["my card got declined at the till"])


__all__ = [
    "Associations",
    "ContactContext",
    "CustomerHistory",
    "CustomerMood",
    "Evidence",
    "InteractionMood",
    "LikelyReason",
    "MessageInsight",
    "OpenCase",
    "OpenCommitment",
    "PopulationStats",
    "ReasonModel",
    "ReasonPrediction",
    "RecentActivity",
    "RecentInteraction",
    "StyleContact",
    "StyleCue",
    "StyleMessage",
    "TrainReport",
    "analyse_messages",
    "context_at",
    "customer_mood",
    "default_reason_model",
    "interaction_mood",
    "learn_associations",
    "population_stats",
    "rank_likely_reasons",
    "style_profile",
    "warm_up",
]
