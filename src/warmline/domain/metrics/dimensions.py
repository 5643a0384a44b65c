"""What metrics are broken down and filtered by, and which combinations are kept.

A rollup row is kept for every *grouping*: a set of dimensions whose values it carries
(the others summed over). Keeping every combination of five dimensions would keep about a
row per interaction; these are the ones a supervisor asks for: any mix of channel, team
and reason, and segment or agent alone or beside one of them (agent beside channel or
team, not beside reason: that pair has about as many rows as there are contacts).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping

#: Dimension names, in the order rollup keys hold them.
DIMENSIONS = ("channel", "team", "reason", "segment", "agent")
#: The value a dimension has when a source says nothing about it.
NONE = ""
#: Longest dimension value kept (queues and agent ids may be longer in events).
VALUE_CHARS = 100

_BITS = {name: 1 << n for n, name in enumerate(DIMENSIONS)}


def mask_of(dims: Iterable[str]) -> int:
    """The grouping's bit mask (channel 1, team 2, reason 4, segment 8, agent 16)."""
    mask = 0
    for name in dims:
        mask |= _BITS[name]
    return mask


def dims_of(mask: int) -> tuple[str, ...]:
    """The dimensions of a grouping, in :data:`DIMENSIONS` order."""
    return tuple(name for name in DIMENSIONS if mask & _BITS[name])


def _groupings() -> tuple[int, ...]:
    core = ("channel", "team", "reason")
    sets = [frozenset(c) for n in range(4) for c in itertools.combinations(core, n)]
    for extra, beside in (("segment", core), ("agent", ("channel", "team"))):
        sets += [
            frozenset({extra, *c}) for n in range(2) for c in itertools.combinations(beside, n)
        ]
    return tuple(sorted(mask_of(s) for s in sets))


#: The groupings kept, as bit masks.
GROUPINGS: tuple[int, ...] = _groupings()


def kept(dims: Iterable[str]) -> bool:
    """Whether a query over ``dims`` (its breakdown and filters together) can be answered."""
    return mask_of(dims) in GROUPINGS


def describe_groupings() -> list[str]:
    """The groupings in words, for an error's hint: 'channel+team', 'segment', ..."""
    return ["+".join(dims_of(m)) or "(none)" for m in GROUPINGS]


def value(raw: object) -> str:
    """A dimension value as kept: text, bounded, '' for none."""
    if raw is None:
        return NONE
    return str(raw)[:VALUE_CHARS]


def rollup_key(mask: int, dims: Mapping[str, str]) -> tuple[str, ...]:
    """A contribution's values under grouping ``mask``: its own where the grouping has the
    dimension, '' where the grouping sums over it."""
    return tuple(dims[name] if mask & _BITS[name] else NONE for name in DIMENSIONS)
