"""The insight models in force: the organisation's own reason model, its learned
associations and style population (``warmline reasons train``), or none (the shipped
banking model reads reasons then). The reason model is kept as the bytes stored; the
model itself is :func:`warmline.models.reason_model`'s to load."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.domain.insight import Associations, PopulationStats
from warmline.storage import schema as t
from warmline.storage.config_cache import Rechecked

DEFAULT_ID = "banking77"


@dataclass(frozen=True)
class InsightConfig:
    model_id: str
    #: The trained reason model's file; None while the shipped model is in force.
    reason_model: bytes | None = None
    associations: Associations = field(default_factory=Associations)
    population: PopulationStats | None = None
    trained_at: dt.datetime | None = None
    report: dict[str, Any] = field(default_factory=dict)


_parsed: dict[str, InsightConfig] = {}
_lock = threading.Lock()


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
        config = InsightConfig(DEFAULT_ID)
    else:
        row = conn.execute(sa.select(m).where(m.c.id == found)).mappings().one()
        population = row["population"]
        config = InsightConfig(
            row["id"],
            bytes(row["model"]),
            Associations.from_json(row["associations"]),
            PopulationStats.from_dict(population) if population else None,
            row["trained_at"],
            dict(row["report"]),
        )
    with _lock:
        _parsed[key] = config
    return config


#: :func:`load_insight`, looked up again at most every few seconds per database (ingest
#: batches and cards read it constantly).
_rechecked = Rechecked(load_insight)
current_insight = _rechecked.get
forget_current = _rechecked.forget
