"""Customer effort per case, counted from its interactions, and the words for the card.

Effort is what the customer had to do to get one problem solved: how many times they
got in touch, were transferred, switched channel, proved who they are again and
explained the problem again. The card says it plainly: "third contact about this,
second time explaining it".
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

_ORDINALS = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
)


@dataclass(frozen=True, slots=True)
class ContactRow:
    """One interaction of the case, as plain data.

    ``reverified``: the customer had to prove who they are again in this interaction.
    ``restatements``: how many of their lines here repeated a problem statement they
    had already made in the case (see :func:`warmline.domain.effort.restatement.find_restatement`).
    """

    channel: str
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    transfers: int = 0
    reverified: bool = False
    restatements: int = 0


@dataclass(frozen=True, slots=True)
class Effort:
    """What one case has cost the customer so far.

    ``restatements`` counts the contacts in which the customer explained the problem
    again (several repeated lines in one call are one more time explaining it).
    """

    contacts: int
    transfers: int
    channel_switches: int
    reverifications: int
    restatements: int


def case_effort(rows: Sequence[ContactRow]) -> Effort:
    """Count the effort of a case from its interactions, in any order."""
    ordered = sorted(rows, key=lambda r: r.started_at)
    switches = sum(
        1 for before, after in itertools.pairwise(ordered) if before.channel != after.channel
    )
    return Effort(
        contacts=len(ordered),
        transfers=sum(max(r.transfers, 0) for r in ordered),
        channel_switches=switches,
        reverifications=sum(1 for r in ordered if r.reverified),
        restatements=sum(1 for r in ordered if r.restatements > 0),
    )


def effort_words(effort: Effort) -> str:
    """The card's words: 'third contact about this, second time explaining it, ...'.

    The contact count and the times explaining lead; transfers, channel switches and
    repeated verification follow when there were any. '' when there was no contact.
    """
    if effort.contacts < 1:
        return ""
    parts = [f"{ordinal(effort.contacts)} contact about this"]
    if effort.restatements:
        parts.append(f"{ordinal(effort.restatements + 1)} time explaining it")
    if effort.transfers:
        parts.append(f"transferred {times(effort.transfers)}")
    if effort.channel_switches:
        parts.append(f"changed channel {times(effort.channel_switches)}")
    if effort.reverifications:
        parts.append(f"asked to verify again {times(effort.reverifications)}")
    return ", ".join(parts)


def ordinal(n: int) -> str:
    """1 -> 'first' ... 10 -> 'tenth', then '11th', '12th', '21st', '22nd', '23rd'."""
    if 1 <= n <= len(_ORDINALS):
        return _ORDINALS[n - 1]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def times(n: int) -> str:
    """1 -> 'once', 2 -> 'twice', n -> 'n times'."""
    return {1: "once", 2: "twice"}.get(n, f"{n} times")
