"""Probabilistic identity matching (Fellegi-Sunter): records, blocking, scoring, decisions.

Pure logic on plain data. The integrator stores :class:`MatchRecord` JSON per
customer, the :func:`blocking_keys` in a key table, a trained :class:`MatchModel`
(learned by :mod:`warmline.training.matching`) as JSON, and calls
:func:`resolve_against` for each event.
"""

from warmline.domain.identity.matching.blocking import BLOCK_CAP, blocking_keys
from warmline.domain.identity.matching.decision import (
    DEFAULT_THRESHOLDS,
    CustomerOf,
    Decision,
    MatchResult,
    ScoredCandidate,
    Thresholds,
    apart,
    assess,
    decide,
    namesake_at_home,
    resolve_against,
    two_people,
)
from warmline.domain.identity.matching.dedupe import PairFinding, find_duplicates
from warmline.domain.identity.matching.index import MemoryIndex
from warmline.domain.identity.matching.model import DEFAULT_MODEL, FIELD_LEVELS, MatchModel
from warmline.domain.identity.matching.record import MatchRecord, person_record, record_from
from warmline.domain.identity.matching.scoring import Comparison, Evidence, compare, match_weight

__all__ = [
    "BLOCK_CAP",
    "DEFAULT_MODEL",
    "DEFAULT_THRESHOLDS",
    "FIELD_LEVELS",
    "Comparison",
    "CustomerOf",
    "Decision",
    "Evidence",
    "MatchModel",
    "MatchRecord",
    "MatchResult",
    "MemoryIndex",
    "PairFinding",
    "ScoredCandidate",
    "Thresholds",
    "apart",
    "assess",
    "blocking_keys",
    "compare",
    "decide",
    "find_duplicates",
    "match_weight",
    "namesake_at_home",
    "person_record",
    "record_from",
    "resolve_against",
    "two_people",
]
