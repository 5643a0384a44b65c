"""Cues from moment rules: which rules hold for this customer now, silenced by the rules
that silence them, the three that matter most.

Each cue says which rule made it, why (the activity or date behind it and its source), and
when it stops. Order: sensitivity, then service, celebration, sales; within a kind, the
order of the rules in their file (the operator's priority). A cue is information for the
agent, never a line to read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from warmline.domain.labels import humanise
from warmline.domain.moments.rules import KINDS, MomentRules, Rule
from warmline.domain.profile.consent import has_consent
from warmline.domain.timewords import ago

SHOWN = 3


class _Fill(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "…"


def _matches(rule: Rule, activity: Mapping[str, Any]) -> bool:
    attributes = activity.get("attributes") or {}
    return activity["name"] in rule.activities and all(
        str(attributes.get(k)).casefold() == str(v).casefold() for k, v in rule.where
    )


def _cue(
    rule: Rule, fill: dict[str, Any], why: str, source: str | None, at: dt.datetime, until: Any
) -> dict[str, Any]:
    return {
        "rule": rule.id,
        "kind": rule.kind,
        "text": rule.cue.format_map(_Fill(fill))[:300],
        "why": why[:300],
        "source": source,
        "since": at,
        "expires_at": until,
        "consent": rule.consent,
    }


def moment_cues(
    rules: MomentRules,
    traits: Mapping[str, Any],
    activities: Sequence[Mapping[str, Any]],
    last_contact_before: dt.datetime | None,
    now: dt.datetime,
    *,
    address_as: str | None = None,
) -> list[dict[str, Any]]:
    """The cues that hold now, the most important :data:`SHOWN` of them.

    ``activities``: the customer's activities of the rules' names within their horizon,
    newest first; ``last_contact_before``: when the customer was last in touch before the
    contact at hand (to say a cue comes at the first contact since)."""
    found: dict[str, dict[str, Any]] = {}
    base = {"address_as": address_as or "by their name"}
    today = now.date()
    for rule in rules.rules:
        if rule.until is not None and rule.until < today:
            continue
        if rule.consent and not has_consent(traits, rule.consent):
            continue
        if rule.activities:
            hit = next((a for a in activities if _matches(rule, a)), None)
            if hit is None or now - hit["occurred_at"] > dt.timedelta(days=rule.days):
                continue
            when = hit["occurred_at"]
            first = last_contact_before is None or last_contact_before < when
            why = f"{humanise(hit['name']) or hit['name']} {ago(when, now)}"
            if hit.get("summary"):
                why += f": {hit['summary']}"
            if rule.kind == "sensitivity" and first:
                why += " (the first contact since)"
            fill = {**{str(k): v for k, v in (hit.get("attributes") or {}).items()}, **base}
            fill["ago"] = ago(when, now)
            ends = when + dt.timedelta(days=rule.days)
            found[rule.id] = _cue(rule, fill, why, hit.get("source"), when, ends)
        elif rule.anniversary:
            since_text = (traits.get(rule.anniversary) or {}).get("value")
            if not since_text:
                continue
            since = dt.date.fromisoformat(str(since_text))
            years = today.year - since.year  # the anniversary falls in this month
            if since.month != today.month or years < 1:
                continue
            source = (traits.get(rule.anniversary) or {}).get("source")
            why = f"customer since {since.isoformat()}"
            ends = dt.date(today.year + today.month // 12, today.month % 12 + 1, 1)
            day = dt.datetime(today.year, today.month, min(since.day, 28), tzinfo=dt.UTC)
            found[rule.id] = _cue(
                rule, {**base, "years": years}, why, source, day, ends.isoformat()
            )
        elif rule.birthday:
            born = (traits.get("date_of_birth") or {}).get("value")
            if not born or str(born)[5:10] != today.isoformat()[5:]:
                continue
            consent = traits.get(f"consent.{rule.consent}") if rule.consent else None
            why = "date of birth on record"
            if consent:
                why += f"; consented to {rule.consent} ({consent['source']})"
            found[rule.id] = _cue(rule, base, why, None, now, today.isoformat())
    silenced = {target for rid in found for target in rules.silences.get(rid, ())}
    shown = [cue for rid, cue in found.items() if rid not in silenced]
    order = {rule.id: n for n, rule in enumerate(rules.rules)}
    shown.sort(key=lambda c: (KINDS.index(c["kind"]), order[c["rule"]]))
    return shown[:SHOWN]
