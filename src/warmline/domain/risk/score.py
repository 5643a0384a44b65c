"""A customer's risk: the signals combined, the owner to suggest, the last words.

Signals combine as independent chances (a noisy OR): risk = 1 - Π (1 - weight). Two
weak signs make a stronger one, none alone makes a certainty, and the order they were
found in does not matter. The score is that chance in percent; at or above the
threshold (50 unless set) the customer is at risk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from warmline.domain.risk import signals as sig
from warmline.domain.risk.signals import Signal

Row = Mapping[str, Any]
#: How far back the signals look.
WINDOW = dt.timedelta(days=60)
DEFAULT_THRESHOLD = 50
DEFAULT_WARNINGS = ("cancellation_page_viewed", "direct_debit_cancelled")
#: Contacts Warmline records when someone reaches out to an at-risk customer.
OUTREACH_SOURCE = "warmline.outreach"
LAST_WORDS_CHARS = 280


@dataclass(frozen=True)
class RiskPolicy:
    """What the operator decides: the score at which a customer is at risk, and the
    activities that warn (matched as :func:`~warmline.domain.risk.signals.warning_activities`
    says)."""

    threshold: int = DEFAULT_THRESHOLD
    warnings: tuple[str, ...] = DEFAULT_WARNINGS


@dataclass(frozen=True)
class RiskInputs:
    """One customer's recent memory (the last :data:`WINDOW`), as plain rows."""

    interactions: Sequence[Row] = ()
    promises: Sequence[Row] = ()
    activities: Sequence[Row] = ()
    messages: Sequence[Row] = ()
    """The customer's own messages, newest first."""


@dataclass(frozen=True)
class Risk:
    score: int
    signals: list[Signal] = field(default_factory=list)
    last_signal_at: dt.datetime | None = None
    outreach_at: dt.datetime | None = None
    review_at: dt.datetime | None = None
    last_words: str | None = None
    last_words_at: dt.datetime | None = None
    owner: str | None = None

    def signals_json(self) -> list[dict[str, Any]]:
        return [s.to_json() for s in self.signals]


def assess(
    inputs: RiskInputs, now: dt.datetime, warnings: Sequence[str] = DEFAULT_WARNINGS
) -> Risk:
    """The customer's risk at ``now`` from their recent memory."""
    since = now - WINDOW
    contacts = [
        i
        for i in inputs.interactions
        if i["started_at"] >= since and i["source"] != OUTREACH_SOURCE
    ]
    outreach = [i["started_at"] for i in inputs.interactions if i["source"] == OUTREACH_SOURCE]
    found = [
        *sig.broken_promises(inputs.promises, now),
        *sig.warning_activities(
            [a for a in inputs.activities if a["occurred_at"] >= since], warnings, now
        ),
        *sig.complaint_language([m for m in inputs.messages if m["sent_at"] >= since], now),
        *sig.mood_signals(contacts, now),
        *sig.repeat_contacts(contacts, now),
        *sig.unresolved(contacts, now),
        *sig.transfers(contacts, now),
        *sig.reverified(contacts, now),
    ]
    found.sort(key=lambda s: (-s.weight, -s.at.timestamp(), s.name))
    chance = 1.0
    for s in found:
        chance *= 1 - s.weight
    upcoming = [
        p["due_at"]
        for p in inputs.promises
        if p["status"] != "fulfilled" and p["due_at"] and p["due_at"] > now
    ]
    words = next(iter(inputs.messages), None)
    return Risk(
        score=round(100 * (1 - chance)),
        signals=found,
        last_signal_at=max((s.at for s in found), default=None),
        outreach_at=max(outreach, default=None),
        review_at=min(upcoming, default=None),
        last_words=sig.humanise_text(words["text"], LAST_WORDS_CHARS) if words else None,
        last_words_at=words["sent_at"] if words else None,
        owner=_owner(found, contacts, inputs.promises),
    )


def _owner(found: Sequence[Signal], contacts: Sequence[Row], promises: Sequence[Row]) -> str | None:
    """Who should reach out: whoever made the promise that broke, else the agent of the
    contact behind the strongest sign, else of the latest contact."""
    by_id = {r["id"]: r for r in (*contacts, *promises)}
    for s in found:
        row = by_id.get(s.source_id or "")
        if row is None:
            continue
        owner = row.get("made_by") if s.name == "broken_promise" else row.get("agent_id")
        if owner:
            return str(owner)
    latest = max(contacts, key=lambda i: i["started_at"], default=None)
    return str(latest["agent_id"]) if latest and latest.get("agent_id") else None


def at_risk(score: int, threshold: int = DEFAULT_THRESHOLD) -> bool:
    return score >= threshold
