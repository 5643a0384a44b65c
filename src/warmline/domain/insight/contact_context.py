"""What is known about a customer when a contact starts, as plain data.

The same dataclasses describe a whole history (with resolution and fulfilment
times) and the context at one moment; :func:`context_at` cuts the one from the
other, which is how :mod:`associations` learns from history exactly what
:mod:`likely_reasons` will see at contact start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Activities older than this are not context any more.
ACTIVITY_HORIZON = dt.timedelta(days=30)
RECENT_INTERACTIONS = 10


@dataclass(frozen=True, slots=True)
class OpenCase:
    """A case (one issue across contacts)."""

    title: str
    status: str
    opened_at: dt.datetime
    resolved_at: dt.datetime | None = None
    reason: str | None = None
    """The reason of the contact that opened it, when known: what a contact about it is."""


@dataclass(frozen=True, slots=True)
class OpenCommitment:
    """A promise made to the customer."""

    text: str
    due_at: dt.datetime | None
    made_at: dt.datetime | None = None
    fulfilled_at: dt.datetime | None = None
    case_title: str | None = None
    reason: str | None = None
    """The reason it was made for (its case's), when known."""


@dataclass(frozen=True, slots=True)
class RecentActivity:
    """A business event from another system (``card.declined``, ``loan.approved``)."""

    name: str
    occurred_at: dt.datetime
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecentInteraction:
    """A past contact, with the organisation's reason label for it."""

    reason: str | None
    outcome: str | None
    ended_at: dt.datetime
    channel: str
    started_at: dt.datetime | None = None

    @property
    def began(self) -> dt.datetime:
        """When the contact started (its end if the start is not known)."""
        return self.started_at or self.ended_at


@dataclass(frozen=True, slots=True)
class ContactContext:
    """Everything :func:`~warmline.domain.insight.likely_reasons.rank_likely_reasons` reads."""

    cases: Sequence[OpenCase] = ()
    commitments: Sequence[OpenCommitment] = ()
    activities: Sequence[RecentActivity] = ()
    interactions: Sequence[RecentInteraction] = ()


@dataclass(frozen=True, slots=True)
class CustomerHistory:
    """One customer's history: every case, commitment, activity and contact, any order."""

    cases: Sequence[OpenCase] = ()
    commitments: Sequence[OpenCommitment] = ()
    activities: Sequence[RecentActivity] = ()
    interactions: Sequence[RecentInteraction] = ()


def context_at(history: CustomerHistory, moment: dt.datetime) -> ContactContext:
    """What was open, promised, recent and past at ``moment`` (strictly before it)."""
    cases = [
        c
        for c in history.cases
        if c.opened_at < moment and (c.resolved_at is None or c.resolved_at > moment)
    ]
    commitments = [
        c
        for c in history.commitments
        if (c.made_at is None or c.made_at < moment)
        and (c.fulfilled_at is None or c.fulfilled_at > moment)
    ]
    activities = [
        a for a in history.activities if moment - ACTIVITY_HORIZON <= a.occurred_at < moment
    ]
    past = sorted(
        (i for i in history.interactions if i.ended_at < moment), key=lambda i: i.ended_at
    )
    return ContactContext(
        cases=cases,
        commitments=commitments,
        activities=sorted(activities, key=lambda a: a.occurred_at),
        interactions=past[-RECENT_INTERACTIONS:],
    )
