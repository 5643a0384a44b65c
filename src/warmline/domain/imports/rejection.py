"""A row (or message) an import leaves out, and why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an input item could not become an event: a reason and a stable code."""

    reason: str
    code: str


@dataclass(frozen=True, slots=True)
class Note:
    """Something left out of an item that was still imported (a bad email in a row with a
    good phone): where, why, a stable code."""

    where: str
    reason: str
    code: str


class FileProblem(ValueError):
    """The whole file cannot be read as asked (wrong delimiter, a mapping naming a column
    the file lacks): nothing is imported; ``hint`` says what to do."""

    def __init__(self, code: str, reason: str, hint: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.hint = hint
