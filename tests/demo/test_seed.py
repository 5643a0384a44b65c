from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.demo.world import seed_world
from warmline.domain.card.context import CardContext
from warmline.storage import schema as t
from warmline.storage.card_queries import load_card

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


def cast_card(engine: Engine, email: str) -> dict[str, Any]:
    """The card of a cast member, as the desk would show it at ``NOW``."""
    with engine.connect() as conn:
        cid = conn.execute(
            sa.select(t.identifiers.c.customer_id).where(t.identifiers.c.value == email)
        ).scalar_one()
        card = load_card(conn, cid, CardContext(now=NOW + dt.timedelta(minutes=1)))
    assert card is not None
    return card


def test_the_casts_cards_agree_with_themselves(engine: Engine) -> None:
    seed_world(engine, customers=0, now=NOW)
    bob = cast_card(engine, "bob.fletcher@example.org")
    (dispute,) = bob["open_cases"]
    listed = [i for i in bob["recent_interactions"] if i["reason"] == "dispute transaction"]
    # Three calls about one dispute: the case counts all three, as the card lists them.
    assert len(listed) == 3
    assert dispute["effort"]["contacts"] == 3
    assert dispute["effort_words"].startswith("third contact about this")

    priya = cast_card(engine, "priya.raman@example.org")
    assert len(priya["open_cases"]) == 1  # one issue, one case
    (case,) = priya["open_cases"]
    assert case["effort"]["contacts"] == 2 and case["effort"]["transfers"] == 1
    overdue = [p for p in priya["open_commitments"] if p["overdue"]]
    assert [p["text"] for p in overdue] == ["Send the mortgage overpayment statement"]
    # Promised in the case she opened nine days ago, due two days ago: overdue, in order.
    assert "1 week ago" in case["opened"] or "9 days ago" in case["opened"]

    for email in (
        "miles.okafor@example.org",
        "priya.raman@example.org",
        "bob.fletcher@example.org",
    ):
        reasons = [r["reason"] for r in cast_card(engine, email)["likely_reasons"]]
        assert len(reasons) == len(set(reasons)), reasons


def test_the_demo_logs_plain_text_unless_a_format_was_chosen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from warmline.cli.demo import demo_settings
    from warmline.config import Settings

    monkeypatch.delenv("WARMLINE_LOG_FORMAT", raising=False)
    chosen = demo_settings(Settings())
    assert chosen.log_format == "text" and chosen.forms_dir and chosen.link_secret
    monkeypatch.setenv("WARMLINE_LOG_FORMAT", "json")
    assert demo_settings(Settings()).log_format == "json"
