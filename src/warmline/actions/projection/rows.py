"""The projector's working rows and what it reports per event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Row:
    """A row being built or changed in this batch."""

    values: dict[str, Any]
    new: bool
    dirty: bool = False

    def set(self, **changes: Any) -> None:
        self.values.update(changes)
        self.dirty = True


@dataclass(frozen=True, slots=True)
class Landing:
    """Where an event lands: the live customer, and the record it is recorded on."""

    customer_id: str
    origin_id: str


@dataclass(slots=True)
class Outcome:
    """What happened to one event: where it landed (or what it waits for) and how."""

    customer_id: str | None
    awaiting: str | None = None
    origin_id: str | None = None
    #: known (an identifier named the customer), linked (matched on traits), review (a
    #: new record with a merge suggestion), new, or ambiguous (a shared identifier).
    resolution: str | None = None
    candidates: tuple[str, ...] = ()


@dataclass
class Owner:
    """A customer record holding an identifier (its row in ``identifiers``)."""

    origin_id: str
    verified: bool
    row: Row


#: Marks a merge's evidence when ingest joined a record that matched two: such a merge is
#: made after the link of the same event, with the same time.
BRIDGE = "bridge"


def new_merge_row(
    merge_id: str,
    from_id: str,
    into_id: str,
    *,
    rule: str,
    score: float | None,
    evidence: dict[str, Any],
    actor: str,
    made_at: Any,
    reason: str | None = None,
    suggestion_id: str | None = None,
) -> dict[str, Any]:
    """A ``merges`` row in force: made by ingest's resolution or by a person."""
    return {
        "id": merge_id,
        "from_id": from_id,
        "into_id": into_id,
        "status": "active",
        "rule": rule,
        "score": score,
        "evidence": evidence,
        "reason": reason,
        "actor": actor,
        "suggestion_id": suggestion_id,
        "made_at": made_at,
        "undone_at": None,
        "undone_by": None,
        "undo_reason": None,
    }
