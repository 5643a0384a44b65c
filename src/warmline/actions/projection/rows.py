"""The projection's working rows, new rows built from their tables, and what it reports
per event."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa


def new_row(table: sa.Table, **values: Any) -> dict[str, Any]:
    """A new row of ``table``: every column at its default (None where it has none), then
    ``values``. Built from the table itself, so a new column needs no change here."""
    defaults = _defaults(table)
    if unknown := values.keys() - defaults.keys():
        raise KeyError(f"table {table.name} has no column {', '.join(sorted(unknown))}")
    return {**defaults, **values}


@functools.cache
def _defaults(table: sa.Table) -> dict[str, Any]:
    # Scalar defaults only (a status, a zero count): a row never shares a mutable value.
    return {c.name: _scalar_default(c.default) for c in table.columns}


def _scalar_default(default: Any) -> Any:
    return default.arg if isinstance(default, sa.ColumnDefault) and default.is_scalar else None


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
