"""The refined reading after ingest: a second opinion on the messages the fast one was unsure of.

At ingest every customer message gets the fast reading, and the unsure ones are marked
``refine_due`` in the same transaction (so a mark is never lost: it is acknowledged with
the message). This pass takes the marked messages oldest first (by id), a batch at a
time, reads them again with the feelings encoder (:mod:`warmline.models.feelings_encoder`,
about 2-3 ms a message on one core) outside any transaction, and then in one transaction
per batch writes the refined reading of those still due as they were read, clears the
mark and recomputes the mood of their interactions. It is:

* **idempotent and resumable**: a batch that fails or is interrupted changes nothing and
  is read again by the next pass; a refined reading depends on the message alone (the
  encoder reads each message on its own), so reading it twice writes the same;
* **rebuildable**: ``warmline rebuild`` replays the raw log, which gives the same fast
  readings and marks, and this pass then gives the same refined ones;
* **in the background**: ``warmline serve`` runs it in a thread (:func:`refine_forever`);
  ``warmline insight refine`` drains it from the command line. Until a message's refined
  reading lands, the card and the desk show its fast one.

On PostgreSQL, concurrent passes skip each other's rows as they write (``FOR UPDATE SKIP
LOCKED``); two passes that read the same message write the same reading.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.actions.projection.insight import earlier_points, mood_of
from warmline.domain.insight.records import insight_json, mood_json
from warmline.models.feelings import FeelingsModel, Opinion, default_feelings_model
from warmline.storage import schema as t
from warmline.storage.engine import writing

#: Messages read again per transaction (a few hundred milliseconds of encoder time).
BATCH = 200
#: How long the background pass sleeps when nothing is due.
IDLE_SECONDS = 1.0

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Refined:
    """What one call of :func:`refine_due` did."""

    messages: int
    interactions: int


def refine_due(
    engine: Engine,
    *,
    limit: int = BATCH,
    model: FeelingsModel | None = None,
    opinion: Opinion | None = None,
) -> Refined:
    """Refine up to ``limit`` due messages in one transaction; nothing if none is due."""
    model = model or default_feelings_model()
    if opinion is None:
        from warmline.models.feelings_encoder import shipped_feelings_opinion

        opinion = shipped_feelings_opinion()
    m, i = t.messages, t.interactions
    # Read what is due, then read it again with the encoder outside any transaction (a
    # second or so: no lock is held meanwhile, so ingest and requests go on), then write.
    due = sa.select(m.c.id, m.c.text).where(m.c.refine_due.is_(True))
    with engine.connect() as conn:
        rows = conn.execute(due.order_by(m.c.refine_due, m.c.id).limit(limit)).all()
    if not rows:
        return Refined(0, 0)
    readings = dict(
        zip([r.id for r in rows], model.refine([r.text for r in rows], opinion), strict=True)
    )
    with writing(engine) as conn, conn.begin():
        # Only what is still due as it was read: a rebuild, an erasure or another pass may
        # have changed it meanwhile (rows another pass holds are left to it).
        still = (
            sa.select(m.c.id, m.c.interaction_id, m.c.text)
            .where(m.c.id.in_(list(readings)), m.c.refine_due.is_(True))
            .order_by(m.c.id)
        )
        if conn.dialect.name == "postgresql":
            still = still.with_for_update(skip_locked=True)
        texts = {r.id: r.text for r in rows}
        current = [r for r in conn.execute(still).all() if r.text == texts[r.id]]
        if not current:
            return Refined(0, 0)
        conn.execute(
            m.update()
            .where(m.c.id == sa.bindparam("b_id"))
            .values(insight=sa.bindparam("b_insight"), refine_due=None),
            [{"b_id": r.id, "b_insight": insight_json(readings[r.id])} for r in current],
        )
        touched = sorted({r.interaction_id for r in current})
        points = earlier_points(conn, touched)
        found = conn.execute(
            sa.select(i.c.id, i.c.status, i.c.outcome, i.c.transfers).where(i.c.id.in_(touched))
        ).mappings()
        moods = [
            {"b_id": row["id"], "b_mood": mood_json(mood_of(dict(row), sorted(points[row["id"]])))}
            for row in found
        ]
        if moods:
            conn.execute(
                i.update()
                .where(i.c.id == sa.bindparam("b_id"))
                .values(mood=sa.bindparam("b_mood")),
                moods,
            )
        return Refined(len(current), len(moods))


def refine_all(engine: Engine, *, limit: int = BATCH, opinion: Opinion | None = None) -> int:
    """Refine every due message, a batch per transaction; how many were refined."""
    total = 0
    while True:
        done = refine_due(engine, limit=limit, opinion=opinion)
        total += done.messages
        if done.messages == 0:
            return total


def refine_forever(
    engine: Engine, stop: threading.Event, leading: Callable[[], bool] = lambda: True
) -> None:
    """The background pass: refine while anything is due, sleep when nothing is, until
    ``stop`` is set. A failed batch is logged and tried again after a pause. Without a
    feelings encoder installed there is nothing to refine with: it says so and stops.
    With several server workers only the one ``leading`` refines; the others wait."""
    from warmline.models.feelings_encoder import feelings_encoder_installed

    if not feelings_encoder_installed():
        log.warning("no feelings encoder is installed: fast readings stay as they are")
        return
    while not stop.is_set():
        if not leading():
            stop.wait(IDLE_SECONDS * 10)
            continue
        try:
            done = refine_due(engine)
        except Exception:  # the server stays up; the marks stay for the next try
            log.exception("refining insight failed; retrying shortly")
            stop.wait(IDLE_SECONDS * 10)
            continue
        if done.messages == 0:
            stop.wait(IDLE_SECONDS)
        else:
            time.sleep(0)  # let request threads in between batches
