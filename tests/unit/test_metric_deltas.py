"""Summing a batch's contribution changes into rollup rows (numpy on coded keys) against
the plain definition: each side adds (or takes away) its counters under every grouping, for
its day and its month."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

import pytest

from warmline.actions.metrics.rollups import WIDTH, deltas_of
from warmline.domain.metrics.contributions import Contribution
from warmline.domain.metrics.counters import COUNTERS
from warmline.domain.metrics.dimensions import DIMENSIONS, GROUPINGS, rollup_key


def plain(changes: list[tuple[dict[str, Any] | None, Contribution | None]]) -> dict[Any, list[int]]:
    out: defaultdict[Any, list[int]] = defaultdict(lambda: [0] * WIDTH)
    for old, new in changes:
        sides = []
        if old is not None:
            sides.append((-1, old["day"], {d: old[d] for d in DIMENSIONS}, old["counts"]))
        if new is not None:
            sides.append((1, new.day, new.dims, new.counts))
        for sign, day, dims, counts in sides:
            for grouping in GROUPINGS:
                values = rollup_key(grouping, dims)
                for period, bucket in (("day", day), ("month", day.replace(day=1))):
                    row = out[(grouping, period, bucket, *values)]
                    row[0] += sign
                    for name, n in counts.items():
                        row[1 + COUNTERS.index(name)] += sign * n
    return {k: v for k, v in out.items() if any(v)}


@pytest.mark.parametrize("distinct", [3, 3000])
def test_summed_deltas_equal_the_plain_sum_in_key_order(distinct: int) -> None:
    rng = random.Random(distinct)
    values = ["", *(f"v{n}" for n in range(distinct)), "Zürich", "été"]

    def contribution(n: int) -> Contribution:
        day = dt.date(rng.choice([2019, 2025, 2026]), rng.randint(1, 12), rng.randint(1, 28))
        dims = {d: rng.choice(values) for d in DIMENSIONS}
        counts = {c: rng.randint(-900, 900) or 1 for c in rng.sample(COUNTERS, rng.randint(0, 6))}
        return Contribution(f"s{n}", "interaction", "c1", day, dims, counts)

    changes: list[tuple[dict[str, Any] | None, Contribution | None]] = []
    for n in range(400):
        before, after = contribution(n), contribution(n)
        row = {"day": before.day, **before.dims, "counts": before.counts}
        changes.append(rng.choice([(None, after), (row, after), (row, None), (row, before)]))
    deltas = deltas_of(changes)
    summed = {k: v for k, v in deltas.as_dict().items() if any(v)}
    assert summed == plain(changes)
    keys = [deltas.key(n) for n in range(len(deltas))]
    assert keys == sorted(keys)  # written in key order: PostgreSQL writers lock alike
    assert len(deltas_of([])) == 0
