"""The measures customers feel, counted from the memory: first contact resolution across
channels, repeats and reopens, effort per case, feelings, feedback, promises kept and time
to resolution.

Each source row (an interaction, a case, a feedback response, a promise) contributes a
vector of integer counters under its day and dimensions
(:mod:`.contributions`); rollups add contributions up, so any sum of them is exact and a
rebuild agrees with what ingest maintained. Measures are ratios and quantiles of
summed counters (:mod:`.measures`). Pure logic on plain data.
"""

from __future__ import annotations

from warmline.domain.metrics.contributions import (
    Contribution,
    case_contribution,
    commitment_contribution,
    feedback_contribution,
    interaction_contributions,
)
from warmline.domain.metrics.counters import COUNTERS
from warmline.domain.metrics.dimensions import DIMENSIONS, GROUPINGS
from warmline.domain.metrics.measures import MEASURES, Measure

__all__ = [
    "COUNTERS",
    "DIMENSIONS",
    "GROUPINGS",
    "MEASURES",
    "Contribution",
    "Measure",
    "case_contribution",
    "commitment_contribution",
    "feedback_contribution",
    "interaction_contributions",
]
