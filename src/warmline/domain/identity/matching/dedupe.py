"""Batch dedupe: every candidate pair among existing records, scored once, with its decision.

For after an import: the records are indexed, each record's candidates found
by blocking, and each unordered pair compared once. Pairs whose decision is
``link`` or ``review`` come back (``new`` means "not the same person" and is
dropped); the integrator turns links into merges and reviews into suggestions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from warmline.domain.identity.matching.decision import (
    DEFAULT_THRESHOLDS,
    Decision,
    Thresholds,
    assess,
)
from warmline.domain.identity.matching.index import MemoryIndex
from warmline.domain.identity.matching.model import MatchModel
from warmline.domain.identity.matching.record import MatchRecord
from warmline.domain.identity.matching.scoring import Comparison

_PROGRESS_EVERY = 1_000


class PairFinding(NamedTuple):
    """Two records that may be one person: their ids (``left_id`` < ``right_id``), how they
    compared and the decision."""

    left_id: str
    right_id: str
    comparison: Comparison
    decision: Decision


def find_duplicates(
    records: Mapping[str, MatchRecord],
    model: MatchModel,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    progress: Callable[[int], None] | None = None,
) -> list[PairFinding]:
    """Every blocked pair of ``records`` that links or needs review, strongest first.

    ``progress(done)`` is called with the number of records processed so far,
    every thousand records and at the end.
    """
    index = MemoryIndex()
    for record_id, record in records.items():
        index.add(record_id, record)
    findings: list[PairFinding] = []
    for done, (record_id, record) in enumerate(records.items(), start=1):
        for other_id, other in index.candidates(record, exclude=record_id).items():
            if other_id < record_id:
                continue  # each unordered pair once: from its smaller id
            assessed = assess(record, other, model, thresholds)
            if assessed is not None:
                findings.append(PairFinding(record_id, other_id, *assessed))
        if progress is not None and (done % _PROGRESS_EVERY == 0 or done == len(records)):
            progress(done)
    findings.sort(key=lambda f: (f.decision.outcome == "link", f.comparison.weight), reverse=True)
    return findings
