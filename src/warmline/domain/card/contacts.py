"""The card's contacts: the one happening now, continuity with a recent one on another
channel, and the customer's recent contacts on every channel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from warmline.domain.card import insight as card_insight
from warmline.domain.card.context import CHANNEL_WORDS, CODE_CHANNELS, CardContext
from warmline.domain.card.words import source_words
from warmline.domain.labels import humanise
from warmline.domain.timewords import ago


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


def now_contact(
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


def about(interaction: Mapping[str, Any], messages: Sequence[Mapping[str, Any]]) -> str:
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


def continuity_item(
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
        f"about {about(interaction, messages)}",
        "state": state,
        "at": started,
        "agent_id": interaction["agent_id"],
        # Its state already says how it ended: the mood's words without the ending.
        "mood": card_insight.mood_words(interaction.get("mood"), with_ending=False),
        "messages": [dict(m) for m in messages],
        "source": interaction["source"],
        "from": source_words(interaction["source"]),
    }


def predicted(interaction: Mapping[str, Any]) -> str | None:
    """What the customer's first words pointed to, when no one recorded a reason."""
    predicted = interaction.get("predicted_reason") or {}
    if interaction.get("reason") or not predicted.get("label"):
        return None
    return f"{humanise(predicted['label'])} ({round(predicted['confidence'] * 100)}% sure)"


def interaction_item(interaction: Mapping[str, Any], ctx: CardContext) -> dict[str, Any]:
    return {
        "interaction_id": interaction["id"],
        "external_id": interaction["external_id"],
        "channel": interaction["channel"],
        "at": interaction["started_at"],
        "when": ago(interaction["started_at"], ctx.now),
        "reason": humanise(interaction["reason"]),
        "likely_reason": predicted(interaction),
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


def last_by_channel(interactions: Sequence[Mapping[str, Any]], ctx: CardContext) -> dict[str, Any]:
    last: dict[str, Any] = {}
    for interaction in interactions:
        channel = interaction["channel"]
        if channel and channel not in last:
            last[channel] = {
                "at": interaction["started_at"],
                "when": ago(interaction["started_at"], ctx.now),
            }
    return last
