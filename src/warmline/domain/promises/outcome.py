"""Whether one promise was kept: met, missed (late, or not yet done past its deadline) or
pending, and by how much."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from warmline.domain.promises.config import Promise, PromiseConfig


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # met, missed or pending
    deadline: dt.datetime
    done_at: dt.datetime | None
    #: How late (missed), or how early (met); None while pending.
    margin: dt.timedelta | None


def judge(
    promise: Promise,
    config: PromiseConfig,
    start: dt.datetime,
    done_at: dt.datetime | None,
    now: dt.datetime,
) -> Outcome:
    """The outcome of a promise started at ``start`` and done at ``done_at`` (or not yet)."""
    deadline = promise.within.deadline(start, config.calendar)
    if done_at is not None:
        status = "met" if done_at <= deadline else "missed"
        return Outcome(status, deadline, done_at, done_at - deadline)
    if now > deadline:
        return Outcome("missed", deadline, None, now - deadline)
    return Outcome("pending", deadline, None, None)
