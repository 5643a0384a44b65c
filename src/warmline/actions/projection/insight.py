"""Insight at ingest, once per batch: every customer message gets its fast reading (label,
confidence, sentiment, emotions, frustration, language); every interaction with new
customer messages, or that ended or was transferred in the batch, gets its mood again
(how it ended is part of it); an interaction's first customer messages give its likely
reason (unless the source already recorded the reason).

Messages whose fast reading was unsure are marked ``refine_due``: the refinement pass
(:mod:`warmline.actions.insight_refine`) reads them again after ingest, in its own
transactions. The models run on the whole batch at once (they are vectorised), so a
bulk import pays a few tens of microseconds per customer message
(``benchmarks/insight.py`` measures ingest with insight on against off).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.actions.projection.batch import Batch
from warmline.actions.projection.rows import Row
from warmline.domain.insight import InteractionMood, MessageInsight, interaction_mood
from warmline.domain.insight.records import (
    insight_from_json,
    insight_json,
    mood_json,
    prediction_json,
)
from warmline.models import analyse_messages, reason_model
from warmline.storage import schema as t
from warmline.storage.chunking import chunks
from warmline.storage.insight_config import load_insight

#: The first customer messages of an interaction that say why they got in touch.
REASON_MESSAGES = 2

#: (sent_at, message id, text, insight): ordered by time, then id, the same in every batch.
Point = tuple[dt.datetime, str, str, MessageInsight]


def annotate_batch(p: Batch) -> None:
    """Add insight to this batch's customer messages and their interactions (in place,
    before the projector writes them)."""
    fresh = [m for m in p.inserts.get(t.messages, []) if m["speaker"] == "customer"]
    interactions = {r.values["id"]: r for r in p.anchors["interaction"].values()}
    # An ending or a transfer changes what the mood says, new messages or not.
    ended = {
        i
        for i, row in interactions.items()
        if row.dirty
        and not row.new
        and (row.values["status"] == "ended" or row.values["transfers"])
        and row.values["mood"]
    }
    if not fresh and not ended:
        return
    readings = analyse_messages([m["text"] for m in fresh])
    for message, insight in zip(fresh, readings, strict=True):
        message["insight"] = insight_json(insight)
        message["refine_due"] = True if insight.unsure else None
    touched = {m["interaction_id"] for m in fresh} | ended
    points = earlier_points(p.conn, [i for i in touched if not interactions[i].new])
    for m in fresh:
        # As stored (rounded), so a mood does not depend on where batches were cut.
        points[m["interaction_id"]].append(
            (m["sent_at"], m["id"], m["text"], insight_from_json(m["insight"]))
        )
    new_ids = {m["id"] for m in fresh}
    needs_reason: dict[str, str] = {}
    for interaction_id in touched:
        ordered = sorted(points[interaction_id])
        interaction = interactions[interaction_id]
        interaction.set(mood=mood_json(mood_of(interaction.values, ordered)))
        first = ordered[:REASON_MESSAGES]
        # The guess depends on the first messages only, whatever the batches were; a reason
        # the source recorded needs no guess (``interaction.ended`` clears it).
        if not interaction.values["reason"] and any(m_id in new_ids for _, m_id, _, _ in first):
            needs_reason[interaction_id] = " ".join(text for _, _, text, _ in first)
    _predict_reasons(p, interactions, needs_reason)


def mood_of(interaction: Mapping[str, Any], ordered: list[Point]) -> InteractionMood:
    """An interaction's mood from its customer messages in order, and how it ended."""
    outcome = interaction["outcome"] if interaction["status"] == "ended" else None
    return interaction_mood(
        [(at, text, insight) for at, _, text, insight in ordered],
        outcome=outcome,
        transfers=int(interaction["transfers"] or 0),
    )


def earlier_points(
    conn: Connection, interaction_ids: Iterable[str]
) -> defaultdict[str, list[Point]]:
    """Customer messages already stored, with their readings, by interaction."""
    found: defaultdict[str, list[Point]] = defaultdict(list)
    m = t.messages
    for chunk in chunks(list(interaction_ids)):
        rows = conn.execute(
            sa.select(m.c.interaction_id, m.c.sent_at, m.c.id, m.c.text, m.c.insight).where(
                m.c.interaction_id.in_(chunk), m.c.speaker == "customer"
            )
        )
        for interaction_id, sent_at, message_id, text, insight in rows:
            if insight is not None:
                found[interaction_id].append(
                    (sent_at, message_id, text, insight_from_json(insight))
                )
    return found


def _predict_reasons(p: Batch, interactions: dict[str, Row], texts: dict[str, str]) -> None:
    if not texts:
        return
    config = load_insight(p.conn)
    model = reason_model(config.model_id, config.reason_model)
    ids = list(texts)
    for interaction_id, prediction in zip(ids, model.predict([texts[i] for i in ids]), strict=True):
        interactions[interaction_id].set(predicted_reason=prediction_json(prediction))
