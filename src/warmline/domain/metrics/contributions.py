"""What one source row contributes to the counters, from the memory around it.

* An **interaction** counts as a contact on the day it started. With a known reason (the
  one recorded, else the one its first words point to) and ended, it is a *repeat* when
  the same customer got in touch about the same reason within the window before it, on
  any channel, and otherwise a *first contact*; a first contact is *resolved first time*
  when it ended resolved and no contact about the same reason followed within the window.
  A contact recorded resolved that was followed so is *reopened*.
* A **case** counts on the day it opened, under the dimensions of its first contact:
  contacts, transfers, channel switches, re-verifications and restatements (its effort),
  and, once resolved, the time it took.
* A **feedback** response counts on the day it was given, under its contact's dimensions.
* A **promise** counts on the day it was due: kept on time, kept late or still open.

Each function is pure: the same rows give the same contribution, whatever order events
arrived in, which is what lets rollups kept at ingest agree with a rebuild exactly.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from warmline.domain.card.insight import reason_of
from warmline.domain.insight.mood import NEGATIVE_SENTIMENT
from warmline.domain.insight.readings import UNKNOWN
from warmline.domain.metrics.counters import resolution_bin
from warmline.domain.metrics.dimensions import NONE, value

Row = Mapping[str, Any]
#: How long after a contact another about the same reason makes it a repeat (the default
#: of the window ``warmline metrics rebuild --window-days`` sets).
DEFAULT_WINDOW = dt.timedelta(days=7)
#: Satisfied (CSAT), promoter and detractor (NPS) scores.
CSAT_SATISFIED = 4
NPS_PROMOTER = 9
NPS_DETRACTOR = 6


@dataclass(frozen=True, slots=True)
class Contribution:
    """One source row's counters under its day and dimensions (only non-zero counters)."""

    source_id: str
    kind: str
    customer_id: str
    day: dt.date
    dims: dict[str, str]
    counts: dict[str, int]

    def key(self) -> tuple[Any, ...]:
        """Everything that places the counters: the day and the dimension values."""
        return (self.day, *self.dims.values())


def contact_reason(interaction: Row) -> str | None:
    """The reason a contact is counted under: recorded, else predicted; None if unknown."""
    reason = reason_of(interaction)
    return None if reason in (None, "", UNKNOWN) else reason


def contact_dims(interaction: Row | None, segment: str, agent: str | None = None) -> dict[str, str]:
    """The dimensions of a contact (or of a row counted under one): channel, team (its
    queue), reason, the customer's segment and the agent."""
    if interaction is None:
        return {
            "channel": NONE,
            "team": NONE,
            "reason": NONE,
            "segment": segment,
            "agent": value(agent),
        }
    return {
        "channel": value(interaction["channel"]),
        "team": value(interaction["queue"]),
        "reason": value(contact_reason(interaction)),
        "segment": segment,
        "agent": value(agent or interaction["agent_id"]),
    }


def _order(row: Row) -> tuple[dt.datetime, str]:
    return row["started_at"], row["id"]


def neighbour_flags(
    interactions: Sequence[Row], window: dt.timedelta
) -> dict[str, tuple[bool, bool]]:
    """For each interaction of one customer: (a contact about the same reason came within
    ``window`` before it, one came within ``window`` after it). Any channel counts."""
    by_reason: defaultdict[str, list[Row]] = defaultdict(list)
    for row in interactions:
        reason = contact_reason(row)
        if reason is not None:
            by_reason[reason].append(row)
    flags: dict[str, tuple[bool, bool]] = {}
    for rows in by_reason.values():
        rows.sort(key=_order)
        for n, row in enumerate(rows):
            before = n > 0 and row["started_at"] - rows[n - 1]["started_at"] <= window
            after = n + 1 < len(rows) and rows[n + 1]["started_at"] - row["started_at"] <= window
            flags[row["id"]] = (before, after)
    return flags


def interaction_contributions(
    interactions: Sequence[Row],
    segment: str,
    window: dt.timedelta = DEFAULT_WINDOW,
    wanted: Collection[str] | None = None,
) -> list[Contribution]:
    """The contributions of one customer's interactions (those in ``wanted``, or all).

    ``interactions`` must hold every interaction of the customer within ``window`` of each
    wanted one (the neighbours that decide repeats), and may hold more.
    """
    flags = neighbour_flags(interactions, window)
    out = []
    for row in interactions:
        if wanted is not None and row["id"] not in wanted:
            continue
        repeat, followed = flags.get(row["id"], (False, False))
        out.append(_interaction(row, segment, repeat=repeat, followed=followed))
    return out


def _interaction(row: Row, segment: str, *, repeat: bool, followed: bool) -> Contribution:
    ended = row["status"] == "ended"
    reasoned = ended and contact_reason(row) is not None
    resolved = reasoned and row["outcome"] == "resolved"
    counts = {
        "contacts": 1,
        "contacts_ended": int(ended),
        "contacts_with_reason": int(reasoned),
        "first_contacts": int(reasoned and not repeat),
        "first_contacts_resolved": int(resolved and not repeat and not followed),
        "repeat_contacts": int(reasoned and repeat),
        "resolved_contacts": int(resolved),
        "reopened_contacts": int(resolved and followed),
        "contact_transfers": max(int(row["transfers"] or 0), 0),
        "restated_contacts": int((row["restatements"] or 0) > 0),
    }
    mood = row["mood"] or {}
    start, end = mood.get("start"), mood.get("end")
    if ended and start is not None and end is not None:
        counts["mood_read"] = 1
        counts["sentiment_change_milli"] = round((float(end) - float(start)) * 1000)
        counts["ended_frustrated"] = int(float(end) <= NEGATIVE_SENTIMENT)
    return Contribution(
        row["id"],
        "interaction",
        row["customer_id"],
        row["started_at"].date(),
        contact_dims(row, segment),
        _nonzero(counts),
    )


def case_contribution(case: Row, first_contact: Row | None, segment: str) -> Contribution:
    """A case's effort and time to resolution, under its first contact's dimensions."""
    effort = case["effort"] or {}
    counts = {
        "cases": 1,
        "case_contacts": int(effort.get("contacts", 0)),
        "case_transfers": int(effort.get("transfers", 0)),
        "case_channel_switches": int(effort.get("channel_switches", 0)),
        "case_reverifications": int(effort.get("reverifications", 0)),
        "case_restatements": int(effort.get("restatements", 0)),
    }
    if case["resolved_at"] is not None:
        counts["cases_resolved"] = 1
        counts[resolution_bin(case["resolved_at"] - case["opened_at"])] = 1
    return Contribution(
        case["id"],
        "case",
        case["customer_id"],
        case["opened_at"].date(),
        contact_dims(first_contact, segment),
        _nonzero(counts),
    )


def feedback_contribution(feedback: Row, contact: Row | None, segment: str) -> Contribution:
    """A CSAT, NPS or CES response, under the dimensions of the contact it rates."""
    kind, score = feedback["kind"], int(feedback["score"])
    counts = {f"{kind}_responses": 1}
    if kind == "csat":
        counts |= {"csat_satisfied": int(score >= CSAT_SATISFIED), "csat_points": score}
    elif kind == "nps":
        counts |= {
            "nps_promoters": int(score >= NPS_PROMOTER),
            "nps_detractors": int(score <= NPS_DETRACTOR),
        }
    else:
        counts["ces_points"] = score
    return Contribution(
        feedback["id"],
        "feedback",
        feedback["customer_id"],
        feedback["submitted_at"].date(),
        contact_dims(contact, segment),
        _nonzero(counts),
    )


def commitment_contribution(promise: Row, contact: Row | None, segment: str) -> Contribution:
    """A promise on the day it was due (the day it was made if it had no due time): kept on
    time, kept late or still open, under its contact's dimensions and its maker."""
    due, fulfilled = promise["due_at"], promise["fulfilled_at"]
    kept = promise["status"] == "fulfilled" and fulfilled is not None
    on_time = kept and (due is None or fulfilled <= due)
    counts = {
        "promises_due": 1,
        "promises_kept_on_time": int(on_time),
        "promises_kept_late": int(kept and not on_time),
        "promises_open": int(not kept),
    }
    return Contribution(
        promise["id"],
        "commitment",
        promise["customer_id"],
        (due or promise["made_at"]).date(),
        contact_dims(contact, segment, promise["made_by"]),
        _nonzero(counts),
    )


def _nonzero(counts: Mapping[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if v}
