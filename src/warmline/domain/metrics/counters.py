"""The integer counters every source row contributes to, and the time-to-resolution bins.

Counters are integers so that sums are exact in any order: a rollup maintained one event at
a time equals one rebuilt at once. Sentiment is counted in thousandths for that reason.
Quantiles (median, p90) come from fixed bins, so they are the same however the counts
were added up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

#: Upper edges of the time-to-resolution bins, in hours; the last bin is open-ended.
RESOLUTION_BIN_HOURS: tuple[float, ...] = (
    0.25, 0.5, 1, 2, 4, 8, 24, 48, 72, 120, 168, 336, 720,
)  # fmt: skip
RESOLUTION_BINS = tuple(f"ttr_{n:02d}" for n in range(len(RESOLUTION_BIN_HOURS) + 1))

INTERACTION_COUNTERS = (
    "contacts",
    "contacts_ended",
    "contacts_with_reason",
    "first_contacts",
    "first_contacts_resolved",
    "repeat_contacts",
    "resolved_contacts",
    "reopened_contacts",
    "contact_transfers",
    "restated_contacts",
    "mood_read",
    "sentiment_change_milli",
    "ended_frustrated",
)
CASE_COUNTERS = (
    "cases",
    "case_contacts",
    "case_transfers",
    "case_channel_switches",
    "case_reverifications",
    "case_restatements",
    "cases_resolved",
    *RESOLUTION_BINS,
)
FEEDBACK_COUNTERS = (
    "csat_responses",
    "csat_satisfied",
    "csat_points",
    "nps_responses",
    "nps_promoters",
    "nps_detractors",
    "ces_responses",
    "ces_points",
)
PROMISE_COUNTERS = (
    "promises_due",
    "promises_kept_on_time",
    "promises_kept_late",
    "promises_open",
)
#: Every counter, in the order rollup rows hold them.
COUNTERS: tuple[str, ...] = (
    *INTERACTION_COUNTERS,
    *CASE_COUNTERS,
    *FEEDBACK_COUNTERS,
    *PROMISE_COUNTERS,
)


def resolution_bin(elapsed: dt.timedelta) -> str:
    """The bin a case resolved after ``elapsed`` falls in (negative elapsed: the first)."""
    hours = elapsed.total_seconds() / 3600
    for n, edge in enumerate(RESOLUTION_BIN_HOURS):
        if hours <= edge:
            return RESOLUTION_BINS[n]
    return RESOLUTION_BINS[-1]


def binned_quantile(counts: Sequence[int], q: float) -> float | None:
    """The ``q`` quantile (0..1) of binned hours, interpolated linearly inside its bin;
    None when nothing was counted. The open last bin answers its lower edge."""
    total = sum(counts)
    if total <= 0:
        return None
    target = q * total
    seen = 0
    for n, count in enumerate(counts):
        if count <= 0:
            continue
        if seen + count >= target:
            low = RESOLUTION_BIN_HOURS[n - 1] if n else 0.0
            if n >= len(RESOLUTION_BIN_HOURS):
                return low
            high = RESOLUTION_BIN_HOURS[n]
            return low + (high - low) * max(target - seen, 0) / count
        seen += count
    return RESOLUTION_BIN_HOURS[-1]


def add(total: dict[str, int], counts: Mapping[str, int], sign: int = 1) -> None:
    """``total += sign * counts``, counter by counter."""
    for name, n in counts.items():
        total[name] = total.get(name, 0) + sign * n
