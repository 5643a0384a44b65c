from __future__ import annotations

import datetime as dt
from collections import Counter

from warmline.demo.cast import CAST
from warmline.demo.world import generate_world
from warmline.events import parse_event

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def world(customers: int = 40, seed: int = 7) -> list[dict]:  # type: ignore[type-arg]
    return [e for batch in generate_world(customers=customers, seed=seed, now=NOW) for e in batch]


def test_every_generated_event_is_valid_and_in_the_past() -> None:
    events = world()
    parsed = [parse_event(e) for e in events]
    assert all(p.time <= NOW for p in parsed)
    types = Counter(p.type for p in parsed)
    for expected in (
        "customer.identified",
        "interaction.started",
        "message.posted",
        "interaction.ended",
        "case.opened",
        "commitment.made",
        "activity",
    ):
        assert types[expected] > 0, expected
    assert len({(e["source"], e["id"]) for e in events}) == len(events)


def test_the_same_seed_gives_the_same_world() -> None:
    assert world(seed=3) == world(seed=3)
    assert world(seed=3) != world(seed=4)


def test_the_cast_is_there_with_todays_stories() -> None:
    events = world(customers=0)
    names = {
        e["data"]["customer"]["traits"].get("name")
        for e in events
        if e["type"] == "customer.identified"
    } - {None}
    assert names == {member.name for member in CAST.values()}
    chat = [
        e
        for e in events
        if e["type"] == "interaction.ended"
        and e["data"].get("reason") == "card_declined"
        and "miles" in e["data"]["interaction_id"]
    ]
    assert chat and chat[-1]["data"]["outcome"] == "escalated"
    assert chat[-1]["time"] == "2026-11-24T09:56:00Z"  # four minutes before now
    loans = [
        e["data"]["name"] for e in events if e["type"] == "activity" and e["source"] == "loans"
    ]
    assert loans == ["loan.applied", "loan.approved"]
