"""The card's insight: how the customer feels, how they like to be dealt with, and why they
are probably getting in touch, each with its evidence. Pure assembly from the card's
rows and the insight stored at ingest; information for the agent, never a script."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from warmline.domain.insight import (
    Associations,
    ContactContext,
    OpenCase,
    OpenCommitment,
    PopulationStats,
    RecentActivity,
    RecentInteraction,
    StyleContact,
    StyleMessage,
    customer_mood,
    rank_likely_reasons,
    style_profile,
)
from warmline.domain.insight.feeling_words import WORDS
from warmline.domain.insight.feeling_words import message_feeling as read_feeling
from warmline.domain.insight.mood import NEGATIVE
from warmline.domain.insight.records import insight_from_json, mood_from_json
from warmline.domain.labels import humanise

LIKELY_REASONS = 3
#: How far back a contact still says how the customer feels now: a frustration two years
#: ago is history, not their mood.
MOOD_HORIZON = dt.timedelta(days=180)
#: Facts that are preferences or needs the customer told us (they override inference).
PREFERENCE_PREFIXES = ("preferred_", "prefers_", "needs", "large_print", "hard_of_hearing")


@dataclass(frozen=True, slots=True)
class Learned:
    """What the organisation's history taught: reason associations and usual style."""

    associations: Associations = field(default_factory=Associations)
    population: PopulationStats | None = None


def reason_of(interaction: Mapping[str, Any]) -> str | None:
    """The organisation's reason label for a contact, else the one its words point to."""
    if interaction.get("reason"):
        return str(interaction["reason"])
    predicted = interaction.get("predicted_reason") or {}
    return predicted.get("label")


def mood(interactions: Sequence[Mapping[str, Any]], now: dt.datetime) -> dict[str, Any] | None:
    """The customer's mood over their recent contacts (``interactions`` newest first);
    None when none in the last ``MOOD_HORIZON`` shows it."""
    moods = [
        mood_from_json(i["mood"])
        for i in reversed(interactions)
        if i.get("mood") and now - i["started_at"] <= MOOD_HORIZON
    ]
    found = customer_mood(moods)
    if found.contacts == 0:
        return None
    return {
        "words": found.words,
        "feeling": found.feeling,
        "trend": found.trend,
        "sure": found.sure,
        "line": found.line,
        "line_at": found.line_at,
        "contacts": found.contacts,
    }


def mood_words(mood: Mapping[str, Any] | None, *, with_ending: bool = True) -> str | None:
    """An interaction's stored mood in words, with or without how it ended."""
    if not mood:
        return None
    words = str(mood.get("words") or "")
    ending = mood.get("ending")
    if not with_ending and ending and words.endswith(f"; {ending}"):
        words = words.removesuffix(f"; {ending}")
    return words or None


def likely_reasons(
    rows: Mapping[str, Any],
    learned: Learned,
    now: dt.datetime,
    *,
    current: Mapping[str, Any] | None = None,
    current_messages: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Why they are probably getting in touch, best first, each with the facts behind it.

    Once the customer has said it in the contact happening now (``current``), their own
    words come first: the reason recorded for it, else the one their first lines point
    to; the history's guesses follow. One reason is listed once.
    """
    interactions = [i for i in rows["interactions"] if current is None or i is not current]
    reasons = {i["id"]: reason_of(i) for i in interactions}
    context = ContactContext(
        cases=[
            OpenCase(
                c["title"] or "",
                c["status"],
                c["opened_at"],
                None,
                reasons.get(c["interaction_id"]),
            )
            for c in rows["cases"]
        ],
        commitments=[
            OpenCommitment(k["text"] or "", k["due_at"], k["made_at"]) for k in rows["commitments"]
        ],
        activities=[
            RecentActivity(a["name"], a["occurred_at"], a["attributes"] or {})
            for a in rows["activities"]
        ],
        interactions=[
            RecentInteraction(
                reasons[i["id"]], i["outcome"], i["ended_at"], i["channel"] or "", i["started_at"]
            )
            for i in reversed(interactions)
            if i["ended_at"] is not None and i["ended_at"] < now
        ],
    )
    found = _said_now(current, current_messages) if current else []
    ranked = rank_likely_reasons(context, learned.associations, now, limit=LIKELY_REASONS + 1)
    listed = {r["reason"] for r in found}
    for r in ranked:
        words = humanise(r.reason) or r.reason
        if words in listed or len(found) >= LIKELY_REASONS:
            continue
        listed.add(words)
        found.append(
            {
                "reason": words,
                "label": r.reason,
                "score": r.score,
                "likelihood": likelihood(r.score),
                "evidence": [e.fact for e in r.evidence],
                "from_their_words": False,
            }
        )
    return found


def _said_now(
    current: Mapping[str, Any], messages: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The reason of the contact happening now, from what was recorded or what they said."""
    channel = current.get("channel") or "this contact"
    if current.get("reason"):
        label, score, evidence = current["reason"], 1.0, f"recorded for this {channel} contact"
    else:
        predicted = current.get("predicted_reason") or {}
        if not predicted.get("label"):
            return []
        label, score = predicted["label"], float(predicted.get("confidence") or 0.0)
        said = next((m["text"] for m in messages if m["speaker"] == "customer"), "")
        quoted = f" “{said[:80]}{'…' if len(said) > 80 else ''}”" if said else ""
        evidence = f"their words in this {channel} contact{quoted}"
    return [
        {
            "reason": humanise(label) or label,
            "label": label,
            "score": score,
            "likelihood": likelihood(score),
            "evidence": [evidence],
            "from_their_words": True,
        }
    ]


def likelihood(score: float) -> str:
    """A ranking score in words: the scores rank reasons; they are not calibrated
    probabilities, so the desk does not show "100%"."""
    if score >= 0.8:
        return "most likely"
    if score >= 0.4:
        return "likely"
    if score >= 0.1:
        return "possible"
    return "outside chance"


def style(
    rows: Mapping[str, Any], messages: Sequence[Mapping[str, Any]], learned: Learned
) -> list[dict[str, Any]]:
    """Cues to the customer's preferred style, recorded preferences first."""
    channels = {i["id"]: i["channel"] for i in rows["interactions"]}
    written = [
        StyleMessage(
            m["text"],
            m["sent_at"],
            channels[m["interaction_id"]] or "",
            m["interaction_id"],
            m["speaker"],
            (m.get("insight") or {}).get("language"),
        )
        for m in reversed(messages)
        if m["interaction_id"] in channels
    ]
    contacts = [
        StyleContact(i["channel"], i["started_at"]) for i in rows["interactions"] if i["channel"]
    ]
    traits = rows["customer"]["traits"] or {}
    facts = {k: v for k, v in traits.items() if k.startswith(PREFERENCE_PREFIXES)}
    return [
        {"kind": c.kind, "value": c.value, "evidence": c.evidence, "recorded": c.recorded}
        for c in style_profile(written, contacts, learned.population, facts)
    ]


#: The words of feelings an agent should notice (the rest are shown without alarm).
NEGATIVE_WORDS = frozenset(WORDS[k] for k in NEGATIVE)


def is_negative(words: str | None) -> bool:
    """Whether a feeling in words ('frustrated, calmer by the end', 'possibly annoyed') is
    a negative one."""
    if not words:
        return False
    said = str(words).removeprefix("possibly ")
    return any(said.startswith(w) for w in NEGATIVE_WORDS)


def message_feeling(insight: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What one customer message shows, for the desk: the word ('frustrated', 'possibly
    annoyed'), whether it is negative, how sure, and the words that show it; None for
    agents' messages, calm ones and ones the models could not read."""
    if not insight or not insight.get("supported"):
        return None
    feeling = read_feeling(insight_from_json(insight))
    if feeling is None:
        return None
    return {
        "word": feeling.shown,
        "negative": feeling.negative,
        "sure": feeling.sure,
        "evidence": list(feeling.words),
    }
