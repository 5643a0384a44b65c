from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.demo_world import seed_world
from warmline.storage import schema as t

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def test_the_demo_world_ingests_cleanly_and_only_once(engine: Engine) -> None:
    first = seed_world(engine, customers=30, now=NOW)
    assert first["rejected"] == 0 and first["pending"] == 0 and first["accepted"] > 1000
    again = seed_world(engine, customers=30, now=NOW)
    assert again == {"accepted": 0, "pending": 0, "duplicate": first["accepted"], "rejected": 0}
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.customers)).scalar_one() == 34
        miles = conn.execute(
            sa.select(t.customers.c.name, t.customers.c.preferred_name)
            .join(t.identifiers, t.identifiers.c.customer_id == t.customers.c.id)
            .where(t.identifiers.c.value == "+442079460958")
        ).one()
    assert tuple(miles) == ("Miles Okafor", "Miles")
