"""Conversation insight on plain data: feelings over a conversation, style, and reasons in
the context of a customer's history.

Pure domain logic: no database, no network, no model files. What the models read in a
message (:mod:`.readings`) comes from :mod:`warmline.models`.
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
from warmline.domain.insight.readings import MessageInsight, ReasonPrediction
from warmline.domain.insight.style import StyleCue, style_profile
from warmline.domain.insight.style_measures import (
    PopulationStats,
    StyleContact,
    StyleMessage,
    population_stats,
)

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
    "ReasonPrediction",
    "RecentActivity",
    "RecentInteraction",
    "StyleContact",
    "StyleCue",
    "StyleMessage",
    "context_at",
    "customer_mood",
    "interaction_mood",
    "learn_associations",
    "population_stats",
    "rank_likely_reasons",
    "style_profile",
]
