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
from typing import Any

from warmline.domain.card import insight as card_insight
from warmline.domain.card.contacts import (
    continuity_ids,
    continuity_item,
    interaction_item,
    last_by_channel,
    now_contact,
)
from warmline.domain.card.context import ACTIVITY_HORIZON, RECENT_INTERACTIONS, CardContext
from warmline.domain.card.insight import Learned
from warmline.domain.card.items import activity_item, case_item, commitment_item, verification_item
from warmline.domain.forms.definitions import Form
from warmline.domain.forms.prefill import on_record
from warmline.domain.moments.cues import moment_cues
from warmline.domain.timewords import years_between


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
        "now": now_contact(current, current_messages, ctx) if current else None,
        "continuity": [
            continuity_item(i, messages.get(i["id"], []), ctx)
            for i in interactions
            if i["id"] in recent
        ],
        "recent_interactions": [
            interaction_item(i, ctx) for i in interactions[:RECENT_INTERACTIONS]
        ],
        "last_by_channel": last_by_channel(interactions, ctx),
        "open_cases": [case_item(c, ctx) for c in rows["cases"]],
        "open_commitments": [
            commitment_item(c, ctx, {case["id"]: case["opened_at"] for case in rows["cases"]})
            for c in rows["commitments"]
        ],
        "recent_activities": [
            activity_item(a, ctx)
            for a in rows["activities"]
            if ctx.now - a["occurred_at"] <= ACTIVITY_HORIZON
        ],
        "verifications": [verification_item(a, ctx) for a in rows["assurances"]],
        "moments": _moments(customer, rows, interactions, ctx),
        "possible_duplicates": _possible_duplicates(rows.get("suggestions", []), customer["id"]),
        "mood": card_insight.mood(interactions, ctx.now),
        "likely_reasons": card_insight.likely_reasons(
            rows, learned, ctx.now, current=current, current_messages=current_messages
        ),
        "style": card_insight.style(rows, rows.get("recent_messages", []), learned),
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


def _moments(
    customer: Mapping[str, Any],
    rows: Mapping[str, Any],
    interactions: Sequence[Mapping[str, Any]],
    ctx: CardContext,
) -> list[dict[str, Any]]:
    """Cues from the moment rules (see :mod:`warmline.domain.moments.cues`)."""
    if ctx.moments is None:
        return []
    name = customer["name"]
    before = [i["started_at"] for i in interactions if i["started_at"] < ctx.now]
    return moment_cues(
        ctx.moments,
        customer["traits"] or {},
        rows.get("moment_activities", []),
        max(before, default=None),
        ctx.now,
        address_as=customer["preferred_name"] or (name.split()[0] if name else None),
    )


def forms_in_question(
    card: Mapping[str, Any], interactions: Sequence[Mapping[str, Any]], forms: Sequence[Form]
) -> list[Form]:
    """The forms the customer's contact is about: the likeliest reason of the card, and
    the reason of every contact still open (said, or read from their first words)."""
    reasons = card.get("likely_reasons") or []
    labels = {reasons[0].get("label")} if reasons else set()
    for i in interactions:
        if i["status"] == "open":
            labels.add(i["reason"] or (i.get("predicted_reason") or {}).get("label"))
    return [f for f in forms if f.reasons & labels]


def form_items(
    forms: Sequence[Form],
    traits: Mapping[str, Any],
    identifiers: Sequence[Mapping[str, Any]],
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """For each form, which fields must be confirmed again (and why)."""
    out = []
    for form in forms:
        records = on_record(form, traits, identifiers, now)
        stale = [r for r in records if r.stale]
        out.append(
            {
                "form": form.id,
                "title": form.title,
                "fields": len(records),
                "stale": [{"field": r.field.label, "why": r.why_stale(now)} for r in stale],
            }
        )
    return out


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
