"""Traits from facts: one value in force per key, by a documented precedence.

Every profile value arrives as a fact: its value, its source, when it was observed, how
it came to be known (its *kind*), whether the source vouched for it, and a confidence. The
value in force for a key is the fact that ranks highest by, in order:

1. kind: confirmed by the customer, then a system of record, then inferred;
2. a verified fact over an unverified one;
3. the newer observation;
4. then source and value, arbitrarily but fixed (so ties never depend on arrival order).

A customer's traits are a fold over their facts. The fold is order-independent (the
winner is a maximum; a key is sensitive if any of its facts was marked sensitive), so
traits built fact by fact at ingest equal traits recomputed from the facts table after a
merge or an undo. Each trait says where its value came from (``source``, ``kind``,
``at``) and, when the customer confirmed it, ``confirmed_at``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

#: How a value came to be known, weakest first (the index is its rank).
KINDS = ("inferred", "record", "customer")
CUSTOMER, RECORD, INFERRED = "customer", "record", "inferred"
#: Traits that also live in their own ``customers`` columns.
COLUMN_TRAITS = ("name", "preferred_name", "customer_since")


@dataclass(frozen=True, slots=True)
class Fact:
    """One observed value of a profile key, and how it came to be known."""

    key: str
    value: Any
    source: str
    at: dt.datetime
    sensitive: bool = False
    kind: str = RECORD
    verified: bool = False
    confidence: float | None = None
    by: str | None = None
    """Who recorded it, when not the source itself (an agent's key, a customer's link)."""


#: The ``facts`` columns a :class:`Fact` is read from (see :func:`fact_of`).
FACT_COLUMNS = (
    "key",
    "value",
    "source",
    "observed_at",
    "sensitive",
    "kind",
    "verified",
    "confidence",
    "recorded_by",
)


def fact_of(row: Any) -> Fact:
    """A fact from a ``facts`` row holding :data:`FACT_COLUMNS`."""
    return Fact(
        row.key,
        row.value,
        row.source,
        row.observed_at,
        row.sensitive,
        row.kind,
        row.verified,
        row.confidence,
        row.recorded_by,
    )


def _rank(entry: Mapping[str, Any]) -> tuple[int, bool, dt.datetime, str, bytes]:
    kind = entry.get("kind", RECORD)
    return (
        KINDS.index(kind) if kind in KINDS else 1,
        bool(entry.get("verified")),
        dt.datetime.fromisoformat(entry["at"]),
        entry["source"],
        orjson.dumps(entry["value"], option=orjson.OPT_SORT_KEYS),
    )


def fact_entry(fact: Fact) -> dict[str, Any]:
    """A fact as a trait entry: ``{value, source, at[, kind, verified, confidence,
    confirmed_at, by]}`` (the optional keys only when they say something: no ``kind``
    means a system of record)."""
    at = fact.at.isoformat()
    entry: dict[str, Any] = {"value": fact.value, "source": fact.source, "at": at}
    if fact.kind != RECORD:
        entry["kind"] = fact.kind
    if fact.verified:
        entry["verified"] = True
    if fact.confidence is not None:
        entry["confidence"] = fact.confidence
    if fact.kind == CUSTOMER:
        entry["confirmed_at"] = at
    if fact.by:
        entry["by"] = fact.by
    return entry


def fold_fact(traits: dict[str, Any], fact: Fact) -> None:
    """Fold one fact into ``traits`` (``{key: entry}``, see :func:`fact_entry`) in place."""
    current = traits.get(fact.key)
    candidate = fact_entry(fact)
    sensitive = fact.sensitive or bool(current and current.get("sensitive"))
    if current is None or _rank(current) <= _rank(candidate):
        entry = candidate
    else:
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
