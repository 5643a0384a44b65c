"""Match evidence as it is stored with merges and suggestions, and shown to people.

Pure glue between :mod:`warmline.domain.identity.matching` (scores and decisions) and what a
merge record keeps: each field's level, the two values compared, its weight in bits and
a sentence a supervisor reads, the match probability and the reasons for the decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from warmline.domain.identity.matching import (
    Comparison,
    Decision,
    MatchModel,
    MatchRecord,
    Thresholds,
    compare,
    decide,
)


def decide_pair(
    new: MatchRecord, record: MatchRecord, model: MatchModel, thresholds: Thresholds
) -> tuple[Comparison, Decision]:
    """Compare two records and decide what the pair is (link, review or new)."""
    comparison = compare(new, record, model)
    return comparison, decide(new, record, comparison, thresholds)


def evidence_json(comparison: Comparison | None, decision: Decision | None) -> dict[str, Any]:
    """The evidence for a pair as stored JSON (``fields``, ``probability``, ``reasons``)."""
    fields = [
        {
            "field": e.field,
            "level": e.level,
            "left": e.left,
            "right": e.right,
            "weight": round(e.weight, 2),
            "text": e.describe(),
            "sensitive": e.sensitive,
        }
        for e in (comparison.evidence if comparison else ())
    ]
    return {
        "fields": fields,
        "probability": comparison.probability if comparison else None,
        "weight": round(comparison.weight, 2) if comparison else None,
        "reasons": list(decision.reasons) if decision else [],
    }


def question_of(reasons: Sequence[str]) -> dict[str, Any]:
    """A pair's stored reasons sorted for the person deciding it: what makes it a question
    (the safety rule that held it, e.g. "first names differ ...: could be a relative"),
    what the records share, and the model's score in words."""
    score = [r for r in reasons if r.startswith("match probability")]
    shared = [r for r in reasons if r.startswith("shares ")]
    question = [r for r in reasons if r not in score and r not in shared]
    return {
        "question": question,
        "shared": shared,
        "score": score[0] if score else None,
        # A rule held it for a person, whatever the score said.
        "held_by_rule": bool(question),
    }
