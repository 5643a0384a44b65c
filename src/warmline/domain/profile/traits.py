"""Traits from facts: the newest value of each key wins, and sensitivity sticks.

A customer's traits are a fold over their facts. The fold is order-independent (the
winner is the maximum by time, with a fixed tie-break; a key is sensitive if any of its
facts was marked sensitive), so traits built fact by fact at ingest equal traits
recomputed from the facts table after a merge or an undo.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

#: Traits that also live in their own ``customers`` columns.
COLUMN_TRAITS = ("name", "preferred_name", "customer_since")


@dataclass(frozen=True, slots=True)
class Fact:
    """One observed value of a profile key."""

    key: str
    value: Any
    source: str
    at: dt.datetime
    sensitive: bool = False


def _rank(at: str, source: str, value: Any) -> tuple[dt.datetime, str, bytes]:
    # Ties on time are broken by source, then by the value itself: arbitrary but fixed.
    return dt.datetime.fromisoformat(at), source, orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def fold_fact(traits: dict[str, Any], fact: Fact) -> None:
    """Fold one fact into ``traits`` (``{key: {value, source, at[, sensitive]}}``) in place."""
    current = traits.get(fact.key)
    at = fact.at.isoformat()
    newer = current is None or _rank(current["at"], current["source"], current["value"]) <= _rank(
        at, fact.source, fact.value
    )
    sensitive = fact.sensitive or bool(current and current.get("sensitive"))
    if newer:
        entry: dict[str, Any] = {"value": fact.value, "source": fact.source, "at": at}
    else:
        assert current is not None
        entry = {k: v for k, v in current.items() if k != "sensitive"}
    if sensitive:
        entry["sensitive"] = True
    traits[fact.key] = entry


def fold_facts(facts: Iterable[Fact], into: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Traits from ``facts`` (folded onto a copy of ``into``, if given)."""
    traits = dict(into or {})
    for fact in facts:
        fold_fact(traits, fact)
    return traits


def trait_value(traits: Mapping[str, Any], key: str) -> Any:
    entry = traits.get(key)
    return entry["value"] if entry else None


def trait_columns(traits: Mapping[str, Any]) -> dict[str, Any]:
    """The ``customers`` columns derived from traits."""
    since = trait_value(traits, "customer_since")
    return {
        "name": trait_value(traits, "name"),
        "preferred_name": trait_value(traits, "preferred_name"),
        "customer_since": dt.date.fromisoformat(since) if since else None,
    }
