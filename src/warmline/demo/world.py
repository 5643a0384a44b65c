"""A demo retail bank: a few thousand customers with years of history on every channel.

Deterministic: the same seed and ``now`` give the same events (ids included), so
seeding twice stores nothing new. Everything goes through the normal ingest path.

The cast of the seed stories, at fixed identifiers:

- **Miles Okafor** (``miles.okafor@example.org``, ``+44 20 7946 0958``): a customer of
  ten years. 40 minutes ago his card was declined at a fuel station; 12 minutes ago he
  opened a chat in the app (verified by biometrics), which the chat agent could not
  solve (ended 4 minutes ago, escalated). His phone call is left for ``warmline
  simulate`` or your own ``POST /v1/contacts``, so the desk shows the channel switch.
- **Priya Raman** (``priya.raman@example.org``, ``+44 20 7946 0321``): a mortgage
  overpayment misapplied; her call an hour ago was transferred from tier 1 to tier 2,
  a case is escalated and a promise to call back is open; an older promise is overdue.
- **Elena Marsh** (``elena.marsh@example.org``, ``+44 20 7946 0777``): applied for a
  £14,500 car loan on the web three days ago; approved this morning.
- **Bob Fletcher** (``bob.fletcher@example.org``, ``+44 20 7946 0444``): a frustrated
  repeat caller, third contact about the same unresolved dispute.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.actions.ingest import ingest_events
from warmline.demo.cast import CAST_PREFIX, play_cast
from warmline.demo.history import World
from warmline.storage import schema as t

#: The demo bank's FAQ: Markdown articles written for the demo.
FAQ = Path(__file__).parent / "faq"
#: The demo bank's forms: a loan application and a change of address.
FORMS_DIR = Path(__file__).parent / "forms"


def generate_world(
    *, customers: int = 2500, seed: int = 7, now: dt.datetime | None = None, batch: int = 1000
) -> Iterator[list[dict[str, Any]]]:
    """Batches of envelopes: the cast first, then ``customers`` generated customers."""
    world = World(
        seed, (now or dt.datetime.now(dt.UTC)).replace(microsecond=0), random.Random(seed)
    )
    play_cast(world)
    world.prefix = f"demo-{seed}"
    for n in range(customers):
        world.customer(n)
        if len(world.events) >= batch:
            yield world.events
            world.events = []
    if world.events:
        yield world.events


def cast_played_at(engine: Engine) -> dt.datetime | None:
    """When the cast's stories were last played into this memory (None: never)."""
    r = t.raw_events
    with engine.connect() as conn:
        latest: dt.datetime | None = conn.execute(
            sa.select(r.c.received_at)
            .where(r.c.event_id.like(f"{CAST_PREFIX}%"))
            .order_by(r.c.received_at.desc())
            .limit(1)
        ).scalar()
    return latest


def seed_world(
    engine: Engine,
    *,
    customers: int = 2500,
    seed: int = 7,
    now: dt.datetime | None = None,
    region: str = "GB",
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Ingest the demo world; return counts by status (rejections would be a bug)."""
    totals = {"accepted": 0, "pending": 0, "duplicate": 0, "rejected": 0}
    for events in generate_world(customers=customers, seed=seed, now=now):
        for item in ingest_events(engine, events, region=region).items:
            totals[item.status] += 1
        if progress:
            progress(len(events))
    return totals
