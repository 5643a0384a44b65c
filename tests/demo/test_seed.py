from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.demo.world import seed_world
from warmline.storage import schema as t

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def test_the_demo_world_ingests_cleanly_and_only_once(engine: Engine) -> None:
    first = seed_world(engine, customers=30, now=NOW)
    assert first["rejected"] == 0 and first["pending"] == 0 and first["accepted"] > 1000
    again = seed_world(engine, customers=30, now=NOW)
    assert again == {"accepted": 0, "pending": 0, "duplicate": first["accepted"], "rejected": 0}
    with engine.connect() as conn:
        live = sa.select(sa.func.count()).where(t.customers.c.status == "active")
        crm = live.where(
            t.customers.c.id.in_(sa.select(t.facts.c.origin_id).where(t.facts.c.source == "crm"))
        )
        # 30 generated customers and the cast of 4, each once (branch visits joined them).
        assert conn.execute(crm).scalar_one() == 34
        miles = conn.execute(
            sa.select(t.customers.c.name, t.customers.c.preferred_name)
            .join(t.identifiers, t.identifiers.c.customer_id == t.customers.c.id)
            .where(t.identifiers.c.value == "+442079460958")
        ).one()
    assert tuple(miles) == ("Miles Okafor", "Miles")
