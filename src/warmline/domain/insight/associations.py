"""Which facts at contact start go with which reason for the contact, learned from history.

A *signal* is one fact in a :class:`ContactContext` that may explain a contact:

* an activity (``activity:card.declined``), which is associated with reasons by
  counting, over past contacts, how often each reason followed it within the window;
* an open case, an open promise or a recent contact, which point at one reason of
  their own (the case's, the promise's, the contact's): for these we learn how often
  the new contact was about that same reason (``case:escalated``,
  ``promise:overdue``, ``contact:unresolved``).

:func:`learn_associations` walks each customer's history, cuts the context at the
start of every labelled contact with :func:`context_at`, and counts. The result
(:class:`Associations`) is plain counts, serialisable to JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from warmline.domain.insight.contact_context import ContactContext, CustomerHistory, context_at

WINDOW = dt.timedelta(days=7)
#: Outcomes after which the customer is likely to come back about the same thing.
OPEN_OUTCOMES = frozenset({"unresolved", "escalated", "follow_up", "abandoned", "transferred"})
# Pseudo-counts pulling thin evidence towards the prior (direct) or a default (same-reason).
SMOOTHING = 5.0
SAME_REASON_DEFAULT = {"case": 0.5, "promise": 0.5, "contact:open": 0.5, "contact:closed": 0.15}
_WORDS = re.compile(r"[a-z]+")
_STOP = frozenset({"the", "a", "an", "of", "to", "on", "in", "for", "my", "and", "with", "is"})


@dataclass(frozen=True, slots=True)
class Signal:
    """One fact at contact start that may explain the contact."""

    kind: str
    """'activity', 'case', 'promise' or 'contact'."""
    key: str
    """What associations are counted under: 'activity:card.declined', 'contact:unresolved'."""
    target: str | None
    """For a case, promise or contact: the reason it points at. None for activities."""
    at: dt.datetime
    """When the fact happened (a promise: when it was due), for wording and decay."""
    subject: str
    """The fact itself: an activity name, case title, promise text or past reason."""
    state: str = ""
    """A case's status, a promise's 'overdue'/'open', a contact's outcome."""


def _label_words(label: str) -> set[str]:
    return {w for w in _WORDS.findall(label.lower().replace("_", " ")) if w not in _STOP}


def match_reason(text: str, reasons: Iterable[str]) -> str | None:
    """The reason label whose words best match ``text`` ('Card declined twice' -> card_declined)."""
    words = {w[:5] for w in _label_words(text)}
    best, best_share = None, 0.0
    for reason in reasons:
        label = {w[:5] for w in _label_words(reason)}
        share = len(words & label) / len(label) if label else 0.0
        if share > best_share:
            best, best_share = reason, share
    return best if best_share >= 0.5 else None


def signals(
    context: ContactContext,
    now: dt.datetime,
    reasons: Iterable[str] = (),
    window: dt.timedelta = WINDOW,
) -> list[Signal]:
    """The signals in a context; ``reasons`` (known labels) let case titles name a reason.

    Activities and contacts count within ``window`` before ``now``; open cases and
    promises count however old they are.
    """
    known = list(reasons)
    found = [
        Signal("activity", f"activity:{a.name}", None, a.occurred_at, a.name)
        for a in context.activities
        if now - a.occurred_at <= window
    ]
    for case in context.cases:
        target = case.reason or match_reason(case.title, known)
        status = case.status or "open"
        if target:
            found.append(
                Signal("case", f"case:{status}", target, case.opened_at, case.title, status)
            )
    for promise in context.commitments:
        target = promise.reason or match_reason(promise.case_title or promise.text, known)
        if target is None:
            continue
        overdue = promise.due_at is not None and promise.due_at < now
        state = "overdue" if overdue else "open"
        at = promise.due_at or promise.made_at or now
        found.append(Signal("promise", f"promise:{state}", target, at, promise.text, state))
    for past in context.interactions:
        if past.reason and now - past.ended_at <= window:
            outcome = past.outcome or "unknown"
            key = f"contact:{'open' if outcome in OPEN_OUTCOMES else 'closed'}"
            found.append(Signal("contact", key, past.reason, past.ended_at, past.reason, outcome))
    return found


@dataclass
class Associations:
    """Counts learned from history; see the module docstring."""

    window_days: float = WINDOW / dt.timedelta(days=1)
    contacts: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    """Contacts per reason (the prior)."""
    direct: dict[str, dict[str, int]] = field(default_factory=dict)
    """Signal key -> reason -> contacts with that reason that had the signal."""
    seen: dict[str, int] = field(default_factory=dict)
    """Signal key -> labelled contacts that had it."""
    same: dict[str, list[int]] = field(default_factory=dict)
    """Same-reason signal key -> [contacts with it, of which about its reason]."""

    @property
    def window(self) -> dt.timedelta:
        """How far back activities and contacts count."""
        return dt.timedelta(days=self.window_days)

    def prior(self, reason: str) -> float:
        """Share of contacts about ``reason`` (smoothed, never zero)."""
        return (self.reasons.get(reason, 0) + 1) / (self.contacts + len(self.reasons) + 1)

    def lift(self, key: str, reason: str) -> float:
        """How much more likely ``reason`` is when ``key`` is present (1.0: no information)."""
        n = self.seen.get(key, 0)
        if not n:
            return 1.0
        p = self.prior(reason)
        with_key = (self.direct.get(key, {}).get(reason, 0) + SMOOTHING * p) / (n + SMOOTHING)
        return with_key / p

    def same_reason(self, key: str) -> float:
        """Probability that a contact with this signal is about the signal's own reason.

        For an open issue (an open case or promise, a recent contact that did not end
        resolved) it never falls below a default: history may say such customers
        rarely come back about it, but an agent should still see the open issue.
        """
        n, hits = self.same.get(key, [0, 0])
        kind = key.split(":", 1)[0]
        default = SAME_REASON_DEFAULT.get(key, SAME_REASON_DEFAULT.get(kind, 0.2))
        learned = (hits + SMOOTHING * default) / (n + SMOOTHING)
        return learned if key == "contact:closed" else max(learned, default)

    def strongest(self, limit: int = 20, min_count: int = 3) -> list[tuple[str, str, int, float]]:
        """(signal, reason, contacts, lift) with the highest lifts, for people to read."""
        rows = [
            (key, reason, count, self.lift(key, reason))
            for key, by_reason in self.direct.items()
            for reason, count in by_reason.items()
            if count >= min_count
        ]
        return sorted(rows, key=lambda r: (-r[3], -r[2]))[:limit]

    def to_json(self) -> str:
        """All counts as JSON (stable key order)."""
        return json.dumps(
            {
                "window_days": self.window_days,
                "contacts": self.contacts,
                "reasons": self.reasons,
                "direct": self.direct,
                "seen": self.seen,
                "same": self.same,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Associations:
        """The inverse of :meth:`to_json`."""
        data: Mapping[str, Any] = json.loads(text)
        return cls(
            window_days=float(data["window_days"]),
            contacts=int(data["contacts"]),
            reasons={str(k): int(v) for k, v in data["reasons"].items()},
            direct={
                str(k): {str(r): int(c) for r, c in v.items()} for k, v in data["direct"].items()
            },
            seen={str(k): int(v) for k, v in data["seen"].items()},
            same={str(k): [int(v[0]), int(v[1])] for k, v in data["same"].items()},
        )


def learn_associations(
    history: Iterable[CustomerHistory], *, window: dt.timedelta = WINDOW
) -> Associations:
    """Count, over every labelled contact in the histories, which signals preceded it.

    An activity or earlier contact counts if it happened within ``window`` before.
    """
    histories = list(history)
    labels = {i.reason for h in histories for i in h.interactions if i.reason}
    reasons: Counter[str] = Counter()
    direct: defaultdict[str, Counter[str]] = defaultdict(Counter)
    seen: Counter[str] = Counter()
    same: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    for customer in histories:
        for contact in customer.interactions:
            if not contact.reason:
                continue
            reasons[contact.reason] += 1
            moment = contact.began
            found = signals(context_at(customer, moment), moment, labels, window)
            for key in {s.key for s in found if s.target is None}:
                seen[key] += 1
                direct[key][contact.reason] += 1
            for key, target in {(s.key, s.target) for s in found if s.target is not None}:
                same[key][0] += 1
                same[key][1] += target == contact.reason
    return Associations(
        window_days=window / dt.timedelta(days=1),
        contacts=sum(reasons.values()),
        reasons=dict(reasons),
        direct={k: dict(v) for k, v in direct.items()},
        seen=dict(seen),
        same={k: list(v) for k, v in same.items()},
    )


def decay(age: dt.timedelta, half_life: dt.timedelta) -> float:
    """Weight of a signal ``age`` old: 1 when fresh, halving every ``half_life``."""
    return math.pow(0.5, max(age.total_seconds(), 0.0) / half_life.total_seconds())


def known_reasons(associations: Associations, context_signals: Sequence[Signal]) -> list[str]:
    """Every reason the associations know, plus any a signal points at."""
    extra = [s.target for s in context_signals if s.target and s.target not in associations.reasons]
    return list(associations.reasons) + sorted(set(extra))
