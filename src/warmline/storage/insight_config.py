"""The insight models in force: the organisation's own reason model, its learned
associations and style population (``warmline reasons train``), or the shipped
banking model when nothing was trained."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.domain.insight import Associations, PopulationStats, ReasonModel
from warmline.domain.insight import default_reason_model as shipped_reason_model
from warmline.storage import schema as t

DEFAULT_ID = "banking77"


@dataclass(frozen=True)
class InsightConfig:
    model_id: str
    reasons: ReasonModel
    associations: Associations = field(default_factory=Associations)
    population: PopulationStats | None = None
    trained_at: dt.datetime | None = None
    report: dict[str, Any] = field(default_factory=dict)


_parsed: dict[str, InsightConfig] = {}
_lock = threading.Lock()
#: Cards check which model is in force at most this often (training takes effect after).
RECHECK_SECONDS = 5.0
_current: tuple[float, str, InsightConfig] | None = None


def load_insight(conn: Connection) -> InsightConfig:
    """The configuration in force (parsed once per process per trained model)."""
    m = t.insight_models
    found = conn.execute(sa.select(m.c.id).where(m.c.active.is_(True)).limit(1)).scalar()
    key = found or DEFAULT_ID
    with _lock:
        config = _parsed.get(key)
    if config is not None:
        return config
    if found is None:
        config = InsightConfig(DEFAULT_ID, shipped_reason_model())
    else:
        row = conn.execute(sa.select(m).where(m.c.id == found)).mappings().one()
        population = row["population"]
        config = InsightConfig(
            row["id"],
            ReasonModel.from_bytes(bytes(row["model"])),
            Associations.from_json(row["associations"]),
            PopulationStats.from_dict(population) if population else None,
            row["trained_at"],
            dict(row["report"]),
        )
    with _lock:
        _parsed[key] = config
    return config


def current_insight(conn: Connection) -> InsightConfig:
    """:func:`load_insight`, looked up again at most every few seconds (the card's hot
    path reads it on every contact)."""
    global _current
    now, where = time.monotonic(), str(conn.engine.url)
    cached = _current
    if cached is None or cached[1] != where or now - cached[0] > RECHECK_SECONDS:
        cached = _current = (now, where, load_insight(conn))
    return cached[2]


def forget_current() -> None:
    """A new model was put in force in this process: the next card reads it."""
    global _current
    _current = None
