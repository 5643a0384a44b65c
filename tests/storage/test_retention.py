"""Retention removes each kind of data past its period, rows and raw events alike."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.factories import MILES, make_event, message, started
from warmline.actions.ingest import ingest_events
from warmline.actions.retention import run_retention
from warmline.storage import schema as t

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def when(days: float) -> str:
    return (NOW - dt.timedelta(days=days)).isoformat()


def count(engine: Engine, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()
        )


def test_old_messages_and_their_raw_events_go_new_ones_stay(engine: Engine) -> None:
    ingest_events(
        engine,
        [
            started("old", "chat", MILES, time=when(400)),
            message("old", "from last year", time=when(400)),
            started("new", "chat", MILES, time=when(2)),
            message("new", "from this week", time=when(2)),
            make_event("activity", customer=MILES, name="payment.failed", time=when(400)),
        ],
    )
    dry = run_retention(engine, {"messages": 365}, now=NOW, dry_run=True)
    assert dry == {"messages": 1, "messages.raw_events": 1}
    assert count(engine, t.messages) == 2
    assert run_retention(engine, {"messages": 365}, now=NOW) == dry
    with engine.connect() as conn:
        texts = [r.text for r in conn.execute(sa.select(t.messages.c.text))]
        raw = [r.envelope for r in conn.execute(sa.select(t.raw_events.c.envelope))]
    assert texts == ["from this week"]
    assert not any("from last year" in envelope for envelope in raw)
    assert count(engine, t.activities) == 1  # no period configured: kept
    assert count(engine, t.audit_log, t.audit_log.c.action == "retention.run") == 1


def test_an_unknown_kind_is_a_clear_error(engine: Engine) -> None:
    import pytest

    from warmline.errors import InvalidRequest

    with pytest.raises(InvalidRequest, match="no retention for passwords"):
        run_retention(engine, {"passwords": 1}, now=NOW)


def test_a_connectors_old_gaps_go(engine: Engine) -> None:
    from warmline.actions.connectors import create_connector, receive_delivery
    from warmline.domain.access.roles import LOCAL_ADMIN

    connector, _ = create_connector(engine, LOCAL_ADMIN, kind="chatwoot", account="7")
    odd = {"event": "message_created", "content": "hi", "message_type": "incoming",
           "conversation": {"id": 3, "meta": {"sender": {"id": 9, "email": "nope"}}}}  # fmt: skip
    for days in (120, 1):
        receive_delivery(engine, connector, odd, insight=False, now=NOW - dt.timedelta(days=days))
    each = count(engine, t.connector_gaps) // 2
    assert each >= 1  # the invalid email at least
    assert run_retention(engine, {"connector_gaps": 90}, now=NOW) == {"connector_gaps": each}
    assert count(engine, t.connector_gaps) == each
