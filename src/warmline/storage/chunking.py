"""Splitting long lists of values for ``IN (...)`` clauses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

CHUNK = 900  # stays under every SQLite build's bound-parameter limit


def chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    """Split ``values`` into lists short enough for one IN (...) clause."""
    items = list(values)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
