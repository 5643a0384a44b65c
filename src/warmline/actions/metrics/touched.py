"""What a write changed that the metrics and the risk score derive from."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Touched:
    """Ids of rows a batch (or a merge, an erasure, retention) created or changed.

    ``customers`` are customers whose every contribution must be recomputed (their
    segment changed, rows moved to or from them, they were erased); ``risk`` the live
    customers whose risk score may have changed.
    """

    interactions: set[str] = field(default_factory=set)
    cases: set[str] = field(default_factory=set)
    feedback: set[str] = field(default_factory=set)
    commitments: set[str] = field(default_factory=set)
    customers: set[str] = field(default_factory=set)
    risk: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return any(
            (self.interactions, self.cases, self.feedback, self.commitments, self.customers)
        ) or bool(self.risk)

    def update(self, other: Touched) -> None:
        self.interactions |= other.interactions
        self.cases |= other.cases
        self.feedback |= other.feedback
        self.commitments |= other.commitments
        self.customers |= other.customers
        self.risk |= other.risk
