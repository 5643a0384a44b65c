"""The matching configuration in force: the active trained model (or the shipped default)
and the link and review thresholds, stored in the database so that every process
(the API, imports, the command line) resolves identities the same way."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.domain.identity.matching import (
    DEFAULT_MODEL,
    DEFAULT_THRESHOLDS,
    MatchModel,
    Thresholds,
)
from warmline.storage import schema as t
from warmline.storage.config_cache import Rechecked

DEFAULT_ID = "default"


@dataclass(frozen=True, slots=True)
class MatchingConfig:
    model_id: str
    model: MatchModel
    thresholds: Thresholds
    trained_at: Any = None
    records: int = 0
    pairs: int = 0


_parsed: dict[str, MatchModel] = {}
_lock = threading.Lock()


def load_matching(conn: Connection) -> MatchingConfig:
    """The active configuration; the shipped default when nothing was trained or set."""
    m = t.match_models
    row = conn.execute(
        sa.select(m.c.id, m.c.model, m.c.thresholds, m.c.trained_at, m.c.records, m.c.pairs)
        .where(m.c.active.is_(True))
        .limit(1)
    ).first()
    if row is None:
        return MatchingConfig(DEFAULT_ID, DEFAULT_MODEL, DEFAULT_THRESHOLDS)
    with _lock:  # a model is parsed once per process, not once per batch
        model = _parsed.get(row.id)
        if model is None:
            model = _parsed[row.id] = (
                DEFAULT_MODEL if row.model.get("default") else MatchModel.from_json(row.model)
            )
    thresholds = Thresholds(link=row.thresholds["link"], review=row.thresholds["review"])
    return MatchingConfig(row.id, model, thresholds, row.trained_at, row.records, row.pairs)


#: :func:`load_matching`, looked up again at most every few seconds per database (ingest
#: batches and cards read it constantly).
_rechecked = Rechecked(load_matching)
current_matching = _rechecked.get
forget_current = _rechecked.forget
