"""Why the customer is probably getting in touch, before they say a word.

Naive-Bayes style: start from how common each reason is, then let each signal in
the context (see :mod:`associations`) multiply its odds by the lift learned from
history, fading with age (a decline 40 minutes ago says more than one last week; a
promise fades only once it is overdue). Each ranked reason carries the facts that
raised it, worded for the agent: "card declined 40 minutes ago", "case 'Card
declined twice' open", "promise 'call back' overdue by 6 hours", "last contact
about this was unresolved".
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from warmline.domain.insight.associations import (
    OPEN_OUTCOMES,
    Associations,
    Signal,
    decay,
    known_reasons,
    signals,
)
from warmline.domain.insight.contact_context import ContactContext
from warmline.domain.labels import humanise
from warmline.domain.timewords import ago, until

#: How fast each kind of signal fades: activities and contacts from when they happened,
#: cases from when they opened, promises from when they were due (not before).
HALF_LIFE = {
    "activity": dt.timedelta(days=2),
    "contact": dt.timedelta(days=3),
    "case": dt.timedelta(days=14),
    "promise": dt.timedelta(days=14),
}
# A signal must at least multiply a reason's odds by this to be shown as its evidence.
_SHOWN = math.log(1.5)
#: The card has room for a few facts per reason: the strongest ones.
MAX_EVIDENCE = 4


@dataclass(frozen=True, slots=True)
class Evidence:
    """One fact behind a likely reason."""

    kind: str
    """'activity', 'case', 'promise', 'contact', or 'prior' (only how common it is)."""
    fact: str
    """In the agent's words: 'card declined 40 minutes ago'."""
    at: dt.datetime | None
    weight: float
    """How much it raised the reason (log of the odds multiplier, after fading)."""


@dataclass(frozen=True, slots=True)
class LikelyReason:
    """A reason the customer may be calling about, how likely, and why we think so."""

    reason: str
    score: float
    """Probability among the organisation's reasons (they sum to 1 over all of them)."""
    evidence: tuple[Evidence, ...]


def fact(signal: Signal, now: dt.datetime) -> str:
    """The signal in words an agent reads at a glance."""
    if signal.kind == "activity":
        return f"{humanise(signal.subject)} {ago(signal.at, now)}"
    if signal.kind == "case":
        return f"case '{signal.subject}' {humanise(signal.state)}"
    if signal.kind == "promise":
        return f"promise '{signal.subject}' {until(signal.at, now)}"
    if signal.state in OPEN_OUTCOMES:
        return f"last contact about this was {humanise(signal.state)} ({ago(signal.at, now)})"
    return f"contacted about this {ago(signal.at, now)}"


def _weight(signal: Signal, now: dt.datetime) -> float:
    return decay(now - signal.at, HALF_LIFE[signal.kind])


def rank_likely_reasons(
    context: ContactContext, associations: Associations, now: dt.datetime, *, limit: int = 5
) -> list[LikelyReason]:
    """The ``limit`` likeliest reasons for a contact starting ``now``, with their evidence."""
    found = signals(context, now, associations.reasons, associations.window)
    candidates = known_reasons(associations, found)
    if not candidates:
        return []
    score = {r: math.log(associations.prior(r)) for r in candidates}
    raised: defaultdict[str, list[tuple[float, Signal]]] = defaultdict(list)
    for signal in found:
        weight = _weight(signal, now)
        if signal.target is None:
            for reason in candidates:
                delta = weight * math.log(associations.lift(signal.key, reason))
                score[reason] += delta
                if delta >= _SHOWN:
                    raised[reason].append((delta, signal))
            continue
        p_same = associations.same_reason(signal.key)
        p_prior = min(associations.prior(signal.target), 0.99)
        up = weight * math.log(p_same / p_prior)
        down = weight * math.log((1 - p_same) / (1 - p_prior))
        for reason in candidates:
            score[reason] += up if reason == signal.target else down
        if up >= _SHOWN:
            raised[signal.target].append((up, signal))
    top = max(score.values())
    total = sum(math.exp(s - top) for s in score.values())
    ranked = sorted(candidates, key=lambda r: -score[r])[:limit]
    return [
        LikelyReason(
            reason,
            round(math.exp(score[reason] - top) / total, 4),
            _evidence(reason, raised[reason], associations, now),
        )
        for reason in ranked
    ]


def _evidence(
    reason: str, raised: list[tuple[float, Signal]], associations: Associations, now: dt.datetime
) -> tuple[Evidence, ...]:
    if not raised:
        if not associations.contacts:
            return (Evidence("prior", "nothing learned yet to weigh it by", None, 0.0),)
        share = associations.reasons.get(reason, 0) / associations.contacts
        return (Evidence("prior", f"{share:.0%} of contacts are about this", None, 0.0),)
    shown: dict[str, Evidence] = {}
    for weight, signal in sorted(raised, key=lambda r: -r[0]):
        words = fact(signal, now)
        if words not in shown:
            shown[words] = Evidence(signal.kind, words, signal.at, round(weight, 3))
    return tuple(shown.values())[:MAX_EVIDENCE]
