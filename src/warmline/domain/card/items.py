"""What is open or recent on a card, each in words with its source: cases and the effort
they cost, promises, business activities, verifications."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from warmline.domain.card.context import CHANNEL_WORDS, CardContext
from warmline.domain.card.words import activity_words, method_words, source_words
from warmline.domain.effort.case_effort import Effort, effort_words
from warmline.domain.identity.continuation import CONTINUATION_SOURCE
from warmline.domain.labels import humanise
from warmline.domain.timewords import ago, until


def case_item(case: Mapping[str, Any], ctx: CardContext) -> dict[str, Any]:
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
        **effort_item(case.get("effort")),
    }


def effort_item(effort: Mapping[str, int] | None) -> dict[str, Any]:
    """What the case has cost the customer, counted and in words ("second contact about
    this, changed channel once"); counted at ingest (see actions/projection/wrap_up.py)."""
    if not effort:
        return {"effort": None, "effort_words": None}
    counted = Effort(**{k: int(effort.get(k, 0)) for k in Effort.__dataclass_fields__})
    return {"effort": dict(effort), "effort_words": effort_words(counted) or None}


def commitment_item(
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


def activity_item(activity: Mapping[str, Any], ctx: CardContext) -> dict[str, Any]:
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


def verification_item(assurance: Mapping[str, Any], ctx: CardContext) -> dict[str, Any]:
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
