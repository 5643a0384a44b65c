"""Reasons learned from the memory's own history: the classifier for the customer's first
words, and why a customer is probably calling before they say a word."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.actions.insight_admin import train_reasons
from warmline.demo.cast import CAST
from warmline.demo.world import seed_world
from warmline.domain.card.context import CardContext
from warmline.errors import InvalidRequest
from warmline.models import reason_model
from warmline.storage import schema as t
from warmline.storage.card_queries import load_card
from warmline.storage.insight_config import load_insight

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def customer_with_phone(engine: Engine, phone: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                sa.select(t.identifiers.c.customer_id).where(t.identifiers.c.value == phone)
            ).scalar_one()
        )


def test_training_learns_reasons_and_the_card_ranks_them_before_a_word(engine: Engine) -> None:
    with pytest.raises(InvalidRequest) as empty:
        train_reasons(engine)
    assert empty.value.code == "not_enough_data"

    seed_world(engine, customers=60, now=NOW)
    trained = train_reasons(engine)
    assert trained.report.examples > 300 and trained.report.held_out_accuracy > 0.9
    assert ("activity:card.declined", "card_declined") in {
        (key, reason) for key, reason, _, _ in trained.associations.strongest(limit=40)
    }
    with engine.connect() as conn:
        config = load_insight(conn)
        assert config.model_id == trained.model_id
        words = reason_model(config.model_id, config.reason_model).predict(
            ["my card keeps getting declined at the till"]
        )[0]
        assert words.label == "card_declined"
        weather = reason_model(config.model_id, config.reason_model).predict(
            ["lovely weather for a picnic today"]
        )[0]
        assert weather.label is None and weather.why_unknown == "no known reason matches"
        # Miles: a declined card 40 minutes ago and an escalated chat about it.
        miles = customer_with_phone(engine, CAST["miles"].phone)
        card = load_card(conn, miles, CardContext(now=NOW, channel="voice"))
    assert card is not None
    top = card["likely_reasons"][0]
    assert top["label"] == "card_declined"
    assert any("card declined" in fact for fact in top["evidence"])
