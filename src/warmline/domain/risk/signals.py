"""The signals that used to come from body language, read from the memory.

Each signal has a fixed weight, set by reasoning rather than fitted (a fitted weight
would learn the demo's simulator, not a contact centre): roughly, the chance that this
one sign alone means the customer is thinking of leaving. A promise broken or a
cancellation started weighs most; one transfer least. Repeated instances count again,
up to a cap, and signs older than a month count half.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from warmline.domain.card.insight import reason_of
from warmline.domain.effort.case_effort import ordinal, times
from warmline.domain.insight import customer_mood
from warmline.domain.insight.mood import NEGATIVE, NEGATIVE_SENTIMENT, quote
from warmline.domain.insight.readings import UNKNOWN
from warmline.domain.insight.records import mood_from_json
from warmline.domain.labels import humanise
from warmline.domain.timewords import ago, duration

Row = Mapping[str, Any]

#: Each signal's weight, and how many instances of it count.
WEIGHTS: dict[str, tuple[float, int]] = {
    "broken_promise": (0.35, 2),
    "warning_activity": (0.40, 2),
    "complaint_language": (0.30, 1),
    "worsening_mood": (0.25, 1),
    "frustrated": (0.12, 3),
    "unresolved": (0.10, 3),
    "repeat_contacts": (0.15, 3),
    "transfers": (0.06, 3),
    "reverified": (0.08, 2),
}
#: Signs within this long count fully; older ones (up to the window) count half.
FULL_WEIGHT = dt.timedelta(days=30)
#: A reason asked about this many times within REPEAT_SPAN is a repeat.
REPEAT_SPAN = dt.timedelta(days=30)

#: Words that say a customer is complaining or thinking of leaving (matched as words).
COMPLAINT_WORDS = (
    r"complain(?:t|ts|ing)?", r"ombudsman", r"unacceptable", r"disgrace(?:ful)?",
    r"(?:close|closing|cancel|cancelling) (?:my|the) account", r"switch(?:ing)? banks?",
    r"move (?:my|our) (?:money|account)", r"leave (?:this|your) bank", r"fed up",
    r"ridiculous", r"useless", r"never again", r"(?:take|taking) (?:my|our) business",
)  # fmt: skip
_COMPLAINT = re.compile(r"\b(?:" + "|".join(COMPLAINT_WORDS) + r")\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Signal:
    """One sign, its weight after recency, what shows it, and when."""

    name: str
    weight: float
    evidence: str
    at: dt.datetime
    #: The row that shows it (an interaction, a promise, an activity, a message), if any.
    source_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "signal": self.name,
            "weight": round(self.weight, 3),
            "evidence": self.evidence,
            "at": self.at.isoformat(),
            "source_id": self.source_id,
        }


def _weight(name: str, at: dt.datetime, now: dt.datetime) -> float:
    base = WEIGHTS[name][0]
    return base if now - at <= FULL_WEIGHT else base / 2


def _dated(name: str, at: dt.datetime, now: dt.datetime, words: str, ref: Any) -> Signal:
    """Signal ``name`` from something that happened ``at``, weighed by how long ago."""
    return Signal(name, _weight(name, at, now), words, at, ref)


def _capped(name: str, signals: list[Signal]) -> list[Signal]:
    """The strongest (then latest) instances, up to the signal's cap."""
    ordered = sorted(signals, key=lambda s: (-s.weight, -s.at.timestamp()))
    return ordered[: WEIGHTS[name][1]]


def broken_promises(promises: Sequence[Row], now: dt.datetime) -> list[Signal]:
    """Promises past due and not kept, and promises kept late."""
    found = []
    for p in promises:
        due = p["due_at"]
        if due is None or due > now:
            continue
        text = humanise_text(p["text"])
        if p["status"] != "fulfilled":
            words = f"promise “{text}” due {ago(due, now)}, not kept"
            found.append(_dated("broken_promise", due, now, words, p["id"]))
        elif p["fulfilled_at"] is not None and p["fulfilled_at"] > due:
            late = p["fulfilled_at"] - due
            words = f"promise “{text}” kept {duration(late)} late"
            found.append(
                Signal(
                    "broken_promise",
                    _weight("broken_promise", due, now) / 2,
                    words,
                    p["fulfilled_at"],
                    p["id"],
                )
            )
    return _capped("broken_promise", found)


def warning_activities(
    activities: Sequence[Row], warnings: Sequence[str], now: dt.datetime
) -> list[Signal]:
    """Business events the operator marks as warnings (a cancellation page viewed, a
    direct debit cancelled). An activity matches a warning name when its name, with dots
    read as underscores, is that name or ends with it."""
    wanted = [w.replace(".", "_") for w in warnings if w]
    found = []
    for a in activities:
        name = str(a["name"]).replace(".", "_")
        if any(name == w or name.endswith("_" + w) for w in wanted):
            words = f"{humanise(a['name'])}" + (
                f": {humanise_text(a['summary'])}" if a.get("summary") else ""
            )
            found.append(_dated("warning_activity", a["occurred_at"], now, words, a["id"]))
    return _capped("warning_activity", found)


def complaint_language(messages: Sequence[Row], now: dt.datetime) -> list[Signal]:
    """The latest customer message that complains or talks of leaving."""
    for m in sorted(messages, key=lambda m: m["sent_at"], reverse=True):
        match = _COMPLAINT.search(m["text"] or "")
        if match:
            words = f"said {quote(m['text'])}"
            return [_dated("complaint_language", m["sent_at"], now, words, m["id"])]
    return []


def mood_signals(interactions: Sequence[Row], now: dt.datetime) -> list[Signal]:
    """A mood getting worse over the latest contacts, and contacts that ended frustrated."""
    ordered = sorted(
        (i for i in interactions if i.get("mood")), key=lambda i: (i["started_at"], i["id"])
    )
    found: list[Signal] = []
    for i in ordered:
        mood = i["mood"]
        end = mood.get("end")
        # How the contact ended, as the metric "ended frustrated" counts it: a worried
        # opening ("my card was stolen") that ends in thanks is not a warning. Without a
        # reading of the end, the feeling that dominated it.
        ended_badly = end <= NEGATIVE_SENTIMENT if end is not None else False
        if ended_badly or (end is None and mood.get("dominant") in NEGATIVE):
            line = f": {mood['line']}" if mood.get("line") else ""
            words = (
                f"{mood.get('feeling', 'unhappy')} in a contact {ago(i['started_at'], now)}{line}"
            )
            found.append(_dated("frustrated", i["started_at"], now, words, i["id"]))
    signals = _capped("frustrated", found)
    overall = customer_mood([mood_from_json(i["mood"]) for i in ordered])
    if overall.trend == "worsening" and overall.dominant in NEGATIVE and ordered:
        last = ordered[-1]
        signals.append(_dated("worsening_mood", last["started_at"], now, overall.words, last["id"]))
    return signals


def repeat_contacts(interactions: Sequence[Row], now: dt.datetime) -> list[Signal]:
    """The reason asked about most often within a month: each contact after the first."""
    by_reason: defaultdict[str, list[Row]] = defaultdict(list)
    for i in interactions:
        reason = reason_of(i)
        if reason and reason != UNKNOWN:
            by_reason[reason].append(i)
    best: list[Row] = []
    for rows in by_reason.values():
        rows.sort(key=lambda r: r["started_at"])
        for n in range(len(rows)):
            span = [r for r in rows[n:] if r["started_at"] - rows[n]["started_at"] <= REPEAT_SPAN]
            if len(span) > len(best) or (
                len(span) == len(best) and span and span[-1]["started_at"] > best[-1]["started_at"]
            ):
                best = span
    if len(best) < 2:
        return []
    reason = humanise(reason_of(best[0])) or "one thing"
    channels = sorted({str(r["channel"] or "unknown") for r in best})
    days = max((best[-1]["started_at"] - best[0]["started_at"]).days, 1)
    words = f"{ordinal(len(best))} contact about {reason} in {days} days ({', '.join(channels)})"
    last = best[-1]
    weight = _weight("repeat_contacts", last["started_at"], now) * min(
        len(best) - 1, WEIGHTS["repeat_contacts"][1]
    )
    return [Signal("repeat_contacts", min(weight, 0.6), words, last["started_at"], last["id"])]


#: Outcomes that leave the customer's problem open with nothing planned (an escalation or
#: a follow-up carries a plan; a promise made in it is watched as a promise).
LEFT_OPEN = ("unresolved", "abandoned")


def unresolved(interactions: Sequence[Row], now: dt.datetime) -> list[Signal]:
    """Contacts that ended with the problem left open, unless a later contact about the
    same reason ended resolved (then it was put right)."""
    ordered = sorted(interactions, key=lambda i: (i["started_at"], i["id"]))
    found = []
    for n, i in enumerate(ordered):
        if i.get("outcome") not in LEFT_OPEN:
            continue
        reason = reason_of(i)
        if (
            reason
            and reason != UNKNOWN
            and any(
                later.get("outcome") == "resolved" and reason_of(later) == reason
                for later in ordered[n + 1 :]
            )
        ):
            continue
        about = f" about {humanise(reason)}" if reason and reason != UNKNOWN else ""
        words = f"a contact{about} {ago(i['started_at'], now)} ended {humanise(i['outcome'])}"
        found.append(_dated("unresolved", i["started_at"], now, words, i["id"]))
    return _capped("unresolved", found)


def transfers(interactions: Sequence[Row], now: dt.datetime) -> list[Signal]:
    found = [
        _dated(
            "transfers",
            i["started_at"],
            now,
            f"transferred {times(i['transfers'])} in a contact {ago(i['started_at'], now)}",
            i["id"],
        )
        for i in interactions
        for _ in range(min(int(i["transfers"] or 0), WEIGHTS["transfers"][1]))
    ]
    return _capped("transfers", found)


def reverified(interactions: Sequence[Row], now: dt.datetime) -> list[Signal]:
    """Contacts where the customer had to prove who they are again within one case."""
    verified: set[str] = set()
    found = []
    for i in sorted(interactions, key=lambda i: (i["started_at"], i["id"])):
        case = i.get("case_id")
        if not case or not i.get("verified_by"):
            continue
        if case in verified and i["verified_by"] == "customer":
            words = f"asked to verify again in a contact {ago(i['started_at'], now)}"
            found.append(_dated("reverified", i["started_at"], now, words, i["id"]))
        verified.add(case)
    return _capped("reverified", found)


def humanise_text(text: Any, limit: int = 80) -> str:
    """Text from an event, bounded and on one line."""
    words = " ".join(str(text or "").split())
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"
