"""Each measure: its definition in words, and its value from summed counters.

A value is a share (0..1), a mean, a score or a number of hours; ``count`` says how many
things it was measured over, so a rate over three contacts is not mistaken for one over
three thousand. A rate with nothing to measure is None, never a made-up zero.
``docs/metrics.md`` carries the same definitions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from warmline.domain.metrics.counters import RESOLUTION_BINS, binned_quantile

Counts = Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Measure:
    """A measure: its name, unit, definition, the counter its ``count`` is, and the
    counters it is computed from (reported beside the value)."""

    name: str
    title: str
    unit: str
    definition: str
    count: str
    uses: tuple[str, ...]
    compute: Callable[[Counts], float | None]

    def value(self, counts: Counts) -> float | None:
        return self.compute(counts)


def _share(part: str, whole: str) -> Callable[[Counts], float | None]:
    def compute(c: Counts) -> float | None:
        return c.get(part, 0) / c[whole] if c.get(whole) else None

    return compute


def _total(name: str) -> Callable[[Counts], float | None]:
    return lambda c: float(c.get(name, 0))


def _nps(c: Counts) -> float | None:
    n = c.get("nps_responses", 0)
    return 100 * (c.get("nps_promoters", 0) - c.get("nps_detractors", 0)) / n if n else None


def _sentiment_change(c: Counts) -> float | None:
    n = c.get("mood_read", 0)
    return c.get("sentiment_change_milli", 0) / 1000 / n if n else None


def _quantile(q: float) -> Callable[[Counts], float | None]:
    return lambda c: binned_quantile([c.get(b, 0) for b in RESOLUTION_BINS], q)


def _m(
    name: str,
    title: str,
    unit: str,
    count: str,
    uses: tuple[str, ...],
    compute: Callable[[Counts], float | None],
    definition: str,
) -> Measure:
    return Measure(name, title, unit, " ".join(definition.split()), count, uses, compute)


_PER_CASE = "per case, over the cases opened in the period (a case counts on the day it opened)"

_LIST = [
    _m("contacts", "Contacts", "count", "contacts", ("contacts",), _total("contacts"),
       "Interactions that started in the period, on every channel."),
    _m("first_contact_resolution", "First contact resolution", "share", "first_contacts",
       ("first_contacts", "first_contacts_resolved"),
       _share("first_contacts_resolved", "first_contacts"),
       """Of first contacts (ended contacts with a known reason and no contact about the
       same reason from the same customer in the window before, on any channel), the share
       that ended resolved and were not followed by another contact about the same reason
       within the window, on any channel."""),
    _m("repeat_contact_rate", "Repeat contacts", "share", "contacts_with_reason",
       ("contacts_with_reason", "repeat_contacts"),
       _share("repeat_contacts", "contacts_with_reason"),
       """Of ended contacts with a known reason, the share that came within the window
       after another contact from the same customer about the same reason, on any
       channel."""),
    _m("reopen_rate", "Reopened after resolved", "share", "resolved_contacts",
       ("resolved_contacts", "reopened_contacts"),
       _share("reopened_contacts", "resolved_contacts"),
       """Of contacts recorded as resolved (with a known reason), the share followed by
       another contact about the same reason within the window: resolved on paper, not for
       the customer (a proxy for accuracy)."""),
    _m("transfers_per_case", "Transfers per case", "per_case", "cases",
       ("cases", "case_transfers"), _share("case_transfers", "cases"),
       f"Transfers {_PER_CASE}."),
    _m("channel_switches_per_case", "Channel switches per case", "per_case", "cases",
       ("cases", "case_channel_switches"), _share("case_channel_switches", "cases"),
       f"Changes of channel between a case's consecutive contacts, {_PER_CASE}."),
    _m("reverifications_per_case", "Re-verifications per case", "per_case", "cases",
       ("cases", "case_reverifications"), _share("case_reverifications", "cases"),
       f"Contacts where the customer had to prove who they are again, {_PER_CASE}."),
    _m("restatements_per_case", "Restatements per case", "per_case", "cases",
       ("cases", "case_restatements"), _share("case_restatements", "cases"),
       f"Contacts where the customer explained the problem again, {_PER_CASE}."),
    _m("contacts_per_case", "Contacts per case", "per_case", "cases",
       ("cases", "case_contacts"), _share("case_contacts", "cases"),
       f"Contacts {_PER_CASE}."),
    _m("sentiment_change", "Sentiment change within contacts", "sentiment", "mood_read",
       ("mood_read", "sentiment_change_milli"), _sentiment_change,
       """The mean change in sentiment (-2..2) from the customer's first readable message
       of an ended contact to their last; positive is better."""),
    _m("ended_frustrated_rate", "Ended frustrated", "share", "mood_read",
       ("mood_read", "ended_frustrated"), _share("ended_frustrated", "mood_read"),
       """Of ended contacts whose customer messages could be read, the share whose last
       readable customer message was clearly negative (sentiment -0.4 or below)."""),
    _m("csat", "CSAT", "share", "csat_responses", ("csat_responses", "csat_satisfied"),
       _share("csat_satisfied", "csat_responses"),
       """Of CSAT responses (1-5) given in the period, the share of 4 and 5."""),
    _m("nps", "NPS", "score", "nps_responses",
       ("nps_responses", "nps_promoters", "nps_detractors"), _nps,
       """Net promoter score of the NPS responses (0-10) given in the period: the percentage
       of promoters (9-10) minus that of detractors (0-6), -100..100."""),
    _m("ces", "CES", "mean", "ces_responses", ("ces_responses", "ces_points"),
       _share("ces_points", "ces_responses"),
       """The mean CES response (1-7) given in the period; the wording of the survey
       decides whether higher means easier."""),
    _m("promises_kept_on_time", "Promises kept on time", "share", "promises_due",
       ("promises_due", "promises_kept_on_time", "promises_kept_late", "promises_open"),
       _share("promises_kept_on_time", "promises_due"),
       """Of promises due in the period, the share kept by their due time. The rest were
       kept late or are still open (broken, once their day has passed)."""),
    _m("promises_due", "Promises due", "count", "promises_due",
       ("promises_due", "promises_kept_on_time", "promises_kept_late", "promises_open"),
       _total("promises_due"), "Promises made to customers that fell due in the period."),
    _m("resolution_time_median", "Time to resolution (median)", "hours", "cases_resolved",
       ("cases_resolved",), _quantile(0.5),
       """Median hours from a case opening to its resolution, over the cases opened in the
       period that are resolved (from fixed bins, interpolated within a bin)."""),
    _m("resolution_time_p90", "Time to resolution (90th percentile)", "hours",
       "cases_resolved", ("cases_resolved",), _quantile(0.9),
       """The 90th percentile of hours from a case opening to its resolution, over the cases
       opened in the period that are resolved."""),
]  # fmt: skip

#: Every measure, by name.
MEASURES: dict[str, Measure] = {m.name: m for m in _LIST}


def figure_text(value: float | None, unit: str) -> str:
    """A value as a supervisor reads it: 72.5 %, 1.3 per case, 4.2 h, NPS 31; a dash for none."""
    if value is None:
        return "–"
    if unit == "share":
        return f"{value * 100:.1f} %"
    if unit == "hours":
        return f"{value:.1f} h"
    if unit in ("count", "score"):
        return f"{value:.0f}"
    return f"{value:.2f}"
