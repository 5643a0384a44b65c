"""The context card: what the person who answers needs before saying hello.

Pure assembly from plain rows (see ``storage.card_queries.card_rows``): who the
customer is and for how long, the contact happening now (what they are writing in it,
live), continuity with a contact on another channel in the last minutes, recent
interactions on every channel, what is open or promised, and recent business
activities. Each item names its source, in words. It is information for the agent to
use in their own way: no scripted lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from warmline.domain.card import insight as card_insight
from warmline.domain.card.insight import Learned
from warmline.domain.card.words import activity_words, method_words, source_words
from warmline.domain.effort.case_effort import Effort, effort_words
from warmline.domain.identity.continuation import CONTINUATION_SOURCE
from warmline.domain.labels import humanise
from warmline.domain.profile.consent import PERSONALISATION, has_consent
from warmline.domain.timewords import ago, until, years_between

RECENT_INTERACTIONS = 10
ACTIVITY_HORIZON = dt.timedelta(days=90)
CHANNEL_WORDS = {
    "chat": "chat",
    "voice": "a call",
    "email": "email",
    "sms": "SMS",
    "app": "the app",
    "web": "the website",
    "branch": "the branch",
    "video": "a video call",
}
#: Channels where a customer can read out or key in a continuation code: a voice or video
#: call, a chat, the branch counter. An email or SMS arrives too late for a code that lasts
#: minutes; the app and the website have their own sign-in.
CODE_CHANNELS = frozenset({"voice", "video", "chat", "branch"})


@dataclass(frozen=True, slots=True)
class CardContext:
    """The moment the card is for: when, and (for a contact) on which channel and interaction."""

    now: dt.datetime
    channel: str | None = None
    interaction_id: str | None = None
    continuity_window: dt.timedelta = dt.timedelta(minutes=30)
    currency: str = "GBP"
    """The currency of amounts an event gave without one."""


def last_seen(interaction: Mapping[str, Any]) -> dt.datetime:
    """The last sign of life of an interaction: its end, last message or start."""
    times: list[dt.datetime] = [
        interaction[k] for k in ("ended_at", "last_message_at", "started_at") if interaction.get(k)
    ]
    return max(times)


def nearby_ids(interactions: Sequence[Mapping[str, Any]], ctx: CardContext) -> list[str]:
    """Interactions the customer was in, on another channel, within the continuity window
    (a channel switch joins the case of one of them)."""
    found = []
    for interaction in interactions:
        if interaction["id"] == ctx.interaction_id:
            continue
        if ctx.channel and interaction["channel"] == ctx.channel:
            continue
        if ctx.now - last_seen(interaction) <= ctx.continuity_window:
            found.append(str(interaction["id"]))
    return found


def continuity_ids(interactions: Sequence[Mapping[str, Any]], ctx: CardContext) -> list[str]:
    """The nearby contacts (:func:`nearby_ids`) the card leads with: those still open, or
    with nothing since. A contact that others followed (two later calls) is history."""
    prior = [i for i in interactions if i["id"] != ctx.interaction_id]
    nearby = set(nearby_ids(prior, ctx))
    return [
        str(i["id"])
        for i in prior
        if i["id"] in nearby
        and (
            i["status"] == "open"
            or not any(o["started_at"] > last_seen(i) for o in prior if o["id"] != i["id"])
        )
    ]


def build_card(
    rows: Mapping[str, Any],
    messages: Mapping[str, Sequence[Mapping[str, Any]]],
    ctx: CardContext,
    learned: Learned | None = None,
) -> dict[str, Any]:
    """Assemble the card. ``messages`` holds the last messages of the contact happening now
    and of the continuity interactions; ``learned`` what the organisation's history
    taught (reason associations, usual style)."""
    learned = learned or Learned()
    customer = rows["customer"]
    current = next((i for i in rows["interactions"] if i["id"] == ctx.interaction_id), None)
    current = current or rows.get("current")
    interactions = [i for i in rows["interactions"] if i["id"] != ctx.interaction_id]
    recent = set(continuity_ids(interactions, ctx))
    current_messages = messages.get(current["id"], []) if current else []
    return {
        "recognised": True,
        "generated_at": ctx.now,
        "customer": _who(customer, ctx),
        "now": _now(current, current_messages, ctx) if current else None,
        "continuity": [
            _continuity(i, messages.get(i["id"], []), ctx)
            for i in interactions
            if i["id"] in recent
        ],
        "recent_interactions": [_interaction(i, ctx) for i in interactions[:RECENT_INTERACTIONS]],
        "last_by_channel": _last_by_channel(interactions, ctx),
        "open_cases": [_case(c, ctx) for c in rows["cases"]],
        "open_commitments": [
            _commitment(c, ctx, {case["id"]: case["opened_at"] for case in rows["cases"]})
            for c in rows["commitments"]
        ],
        "recent_activities": [
            _activity(a, ctx)
            for a in rows["activities"]
            if ctx.now - a["occurred_at"] <= ACTIVITY_HORIZON
        ],
        "verifications": [_verification(a, ctx) for a in rows["assurances"]],
        "moments": _moments(customer["traits"] or {}, ctx),
        "possible_duplicates": _possible_duplicates(rows.get("suggestions", []), customer["id"]),
        "mood": card_insight.mood(interactions, ctx.now),
        "likely_reasons": card_insight.likely_reasons(
            rows, learned, ctx.now, current=current, current_messages=current_messages
        ),
        "style": card_insight.style(rows, rows.get("recent_messages", []), learned),
    }


def _now(
    interaction: Mapping[str, Any], messages: Sequence[Mapping[str, Any]], ctx: CardContext
) -> dict[str, Any]:
    """The contact happening now, on its own: its channel, when it started (and ended),
    and what has been said in it so far."""
    channel = interaction["channel"]
    live = interaction["status"] == "open"
    ended = interaction["ended_at"]
    return {
        "interaction_id": interaction["id"],
        "external_id": interaction["external_id"],
        "channel": channel,
        "channel_words": CHANNEL_WORDS.get(channel or "", channel or "this contact"),
        "live": live,
        "started_at": interaction["started_at"],
        "started": ago(interaction["started_at"], ctx.now),
        "ended_at": ended,
        "ended": ago(ended, ctx.now) if ended else None,
        "outcome": humanise(interaction["outcome"]),
        "reason": humanise(interaction["reason"]),
        "agent_id": interaction["agent_id"],
        "transfers": interaction["transfers"],
        "mood": (interaction.get("mood") or {}).get("words"),
        "messages": [dict(m) for m in messages],
        "code_entry": live and channel in CODE_CHANNELS,
        "source": interaction["source"],
        "from": source_words(interaction["source"]),
    }


def _possible_duplicates(
    suggestions: Sequence[Mapping[str, Any]], customer_id: str
) -> list[dict[str, Any]]:
    """Other customers who may be this person: for the agent to ask "is this also you?"."""
    out = []
    for s in suggestions:
        live = s["other_live"] if s["other_status"] == "merged" else s["other_id"]
        if live == customer_id or s["other_status"] == "erased":
            continue
        out.append(
            {
                "suggestion_id": s["id"],
                "customer_id": live,
                "name": s["other_name"],
                "first_seen": s["other_since"],
                "score": s["score"],
                "reasons": list(s["reasons"] or [])[:3],
                "customer_answer": s["customer_answer"],
            }
        )
    return out


def _moments(traits: Mapping[str, Any], ctx: CardContext) -> list[dict[str, Any]]:
    """Personal moments worth a word, only where the customer consented to personalisation."""
    if not has_consent(traits, PERSONALISATION):
        return []
    born = traits.get("date_of_birth", {}).get("value")
    today = ctx.now.date()
    if born and born[5:] == today.isoformat()[5:]:
        consent = traits[f"consent.{PERSONALISATION}"]
        return [
            {
                "text": "birthday today",
                "consent": PERSONALISATION,
                "consent_source": consent["source"],
                "consent_at": consent["at"],
            }
        ]
    return []


def _who(customer: Mapping[str, Any], ctx: CardContext) -> dict[str, Any]:
    traits = customer["traits"] or {}
    name = customer["name"]
    since = customer["customer_since"]
    return {
        "id": customer["id"],
        "name": name,
        "preferred_name": customer["preferred_name"],
        "address_as": customer["preferred_name"] or (name.split()[0] if name else None),
        "customer_since": since,
        "tenure_years": years_between(since, ctx.now.date()) if since else None,
        "traits": {
            key: {"value": entry["value"], "source": entry["source"], "at": entry["at"]}
            for key, entry in traits.items()
            if key not in {"name", "preferred_name", "customer_since"}
        },
        "source": traits.get("name", {}).get("source"),
    }


def _about(interaction: Mapping[str, Any], messages: Sequence[Mapping[str, Any]]) -> str:
    predicted = (interaction.get("predicted_reason") or {}).get("label")
    label = (
        humanise(interaction.get("reason"))
        or interaction.get("subject")
        or interaction.get("summary")
        or (f"{humanise(predicted)} (from their words)" if predicted else None)
    )
    if label:
        return str(label)
    first = next((m["text"] for m in messages if m["speaker"] == "customer"), None)
    return f"“{first[:80]}”" if first else "no recorded reason yet"


def _continuity(
    interaction: Mapping[str, Any], messages: Sequence[Mapping[str, Any]], ctx: CardContext
) -> dict[str, Any]:
    channel = interaction["channel"] or "another channel"
    started = interaction["started_at"]
    # One time for one contact, as the card's other lists give it: when it started; the
    # end is said apart.
    if interaction["status"] == "open":
        state = "still open"
    else:
        ended = interaction["ended_at"] or last_seen(interaction)
        outcome = humanise(interaction["outcome"])
        state = f"ended {ago(ended, ctx.now)}" + (f", {outcome}" if outcome else "")
    return {
        "interaction_id": interaction["id"],
        "external_id": interaction["external_id"],
        "channel": interaction["channel"],
        "text": f"was in {CHANNEL_WORDS.get(channel, channel)} {ago(started, ctx.now)} "
        f"about {_about(interaction, messages)}",
        "state": state,
        "at": started,
        "agent_id": interaction["agent_id"],
        "mood": (interaction.get("mood") or {}).get("words"),
        "messages": [dict(m) for m in messages],
        "source": interaction["source"],
        "from": source_words(interaction["source"]),
    }


def _predicted(interaction: Mapping[str, Any]) -> str | None:
    """What the customer's first words pointed to, when no one recorded a reason."""
    predicted = interaction.get("predicted_reason") or {}
    if interaction.get("reason") or not predicted.get("label"):
        return None
    return f"{humanise(predicted['label'])} ({round(predicted['confidence'] * 100)}% sure)"


def _interaction(interaction: Mapping[str, Any], ctx: CardContext) -> dict[str, Any]:
    return {
        "interaction_id": interaction["id"],
        "external_id": interaction["external_id"],
        "channel": interaction["channel"],
        "at": interaction["started_at"],
        "when": ago(interaction["started_at"], ctx.now),
        "reason": humanise(interaction["reason"]),
        "likely_reason": _predicted(interaction),
        # The outcome is shown beside it: the mood's words without how it ended.
        "mood": card_insight.mood_words(interaction.get("mood"), with_ending=False),
        "outcome": interaction["outcome"],
        "status": interaction["status"],
        "summary": interaction["summary"] or interaction["subject"],
        # "warmline" when the summary is Warmline's own extract, "source" when it was sent.
        "summary_by": interaction.get("summary_by") if interaction["summary"] else None,
        "agent_id": interaction["agent_id"],
        "transfers": interaction["transfers"],
        "source": interaction["source"],
        "from": source_words(interaction["source"]),
    }


def _last_by_channel(interactions: Sequence[Mapping[str, Any]], ctx: CardContext) -> dict[str, Any]:
    last: dict[str, Any] = {}
    for interaction in interactions:
        channel = interaction["channel"]
        if channel and channel not in last:
            last[channel] = {
                "at": interaction["started_at"],
                "when": ago(interaction["started_at"], ctx.now),
            }
    return last


def _case(case: Mapping[str, Any], ctx: CardContext) -> dict[str, Any]:
    return {
        "case_id": case["id"],
        "external_id": case["external_id"],
        "title": case["title"],
        "status": humanise(case["status"]),
        "priority": case["priority"],
        "opened": ago(case["opened_at"], ctx.now),
        "updated": ago(case["updated_at"], ctx.now),
        "latest_note": case["latest_note"],
        "source": case["source"],
        "from": source_words(case["source"]),
        **_effort(case.get("effort")),
    }


def _effort(effort: Mapping[str, int] | None) -> dict[str, Any]:
    """What the case has cost the customer, counted and in words ("second contact about
    this, changed channel once"); counted at ingest (see actions/projection/wrap_up.py)."""
    if not effort:
        return {"effort": None, "effort_words": None}
    counted = Effort(**{k: int(effort.get(k, 0)) for k in Effort.__dataclass_fields__})
    return {"effort": dict(effort), "effort_words": effort_words(counted) or None}


def _commitment(
    commitment: Mapping[str, Any], ctx: CardContext, cases_opened: Mapping[str, dt.datetime]
) -> dict[str, Any]:
    due = commitment["due_at"]
    opened = cases_opened.get(commitment["case_id"] or "")
    # A promise of a case cannot fall due before the case was opened: the dates another
    # system sent disagree, and the card says so rather than calling it overdue.
    impossible = bool(due and opened and due < opened)
    return {
        "commitment_id": commitment["id"],
        "text": commitment["text"],
        "due_at": due,
        "due": "due before its case was opened: check the dates"
        if impossible
        else (until(due, ctx.now) if due else "no due time"),
        "overdue": bool(due and due < ctx.now and not impossible),
        "made": ago(commitment["made_at"], ctx.now),
        "made_by": commitment["made_by"],
        "source": commitment["source"],
        "from": source_words(commitment["source"]),
    }


def _activity(activity: Mapping[str, Any], ctx: CardContext) -> dict[str, Any]:
    attributes = activity["attributes"] or {}
    sentence, others = activity_words(activity["name"], attributes, ctx.currency)
    return {
        "name": activity["name"],
        "kind": humanise(activity["name"].split(".")[0]),
        "text": f"{sentence} {ago(activity['occurred_at'], ctx.now)}",
        "details": others,
        "summary": activity["summary"],
        "attributes": attributes,
        "at": activity["occurred_at"],
        "source": activity["source"],
        "from": source_words(activity["source"]),
    }


def _verification(assurance: Mapping[str, Any], ctx: CardContext) -> dict[str, Any]:
    channel = CHANNEL_WORDS.get(assurance["channel"], assurance["channel"])
    at = assurance["verified_at"]
    return {
        "channel": assurance["channel"],
        "method": assurance["method"],
        "level": assurance["level"],
        "at": at,
        "text": f"verified in {channel} {ago(at, ctx.now)} "
        f"({assurance['level']}: {method_words(assurance['method'])})",
        "expired": assurance["expires_at"] <= ctx.now,
        # Verification belongs to the session it happened in; carrying it into this contact
        # needs a continuation code (a caller's number can be spoofed).
        "applies_to_this_contact": assurance["interaction_id"] is not None
        and assurance["interaction_id"] == ctx.interaction_id,
        "source": assurance["source"],
        "from": source_words(assurance["source"]),
        # Carried from another session by a continuation code: "verified in the app at 10:02".
        "carried": assurance["source"] == CONTINUATION_SOURCE,
        "clock": at.astimezone(dt.UTC).strftime("%H:%M"),
    }


def carried_verification(original: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """The verification a code carried: where, how, how strong, when."""
    channel = CHANNEL_WORDS.get(original["channel"], original["channel"])
    return {
        "channel": original["channel"],
        "method": original["method"],
        "level": original["level"],
        "verified_at": original["verified_at"],
        "expires_at": original["expires_at"],
        "text": f"verified in {channel} {ago(original['verified_at'], now)} "
        f"({original['level']}), carried to this contact by continuation code",
    }


def unrecognised_card(
    channel: str, presented: Sequence[Mapping[str, Any]], candidates: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The honest card for a contact Warmline cannot put a name to, and how to fix that fast."""
    if candidates:
        how = [
            "this identifier is shared by several customers: ask for the name and date of birth "
            "or the first line of the address to tell them apart",
        ]
    elif channel in {"chat", "app", "web"}:
        how = ["ask the customer to log in: a logged-in session identifies them at once"]
    elif channel == "email":
        how = ["ask for the account or customer number in a reply"]
    else:
        how = ["ask for the account or customer number, or the email address on the account"]
    return {
        "recognised": False,
        "ambiguous": len(candidates) > 1,
        "presented": [dict(p) for p in presented],
        "candidates": [dict(c) for c in candidates],
        "how_to_identify": how,
        "customer": None,
    }
