"""What Warmline decides for a channel switch, a handover and a carried verification is
recorded as events, so a rebuild gives back the same memory: summaries, restatements and
case effort included; handovers and codes (not projections) are left as they are."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.factories import customer, make_event, miles_story
from tests.storage.test_rebuild import snapshot
from warmline.actions.contacts import contact_start, start_contact
from warmline.actions.continuations import Source, issue_code, redeem_code
from warmline.actions.handovers import hand_over
from warmline.actions.ingest import ingest_events
from warmline.actions.keys import create_key
from warmline.actions.rebuild import rebuild_projections
from warmline.domain.access.roles import LOCAL_ADMIN
from warmline.domain.identity.identifiers import Identifier
from warmline.storage import handover_queries as hq
from warmline.storage import schema as t


def test_a_switch_a_handover_and_a_carried_verification_survive_a_rebuild(
    engine: Engine,
) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    later = (now + dt.timedelta(minutes=1)).isoformat()
    miles = customer(("email", "miles@example.org"))
    ingest_events(
        engine,
        [
            *miles_story(now),
            make_event(
                "interaction.started", customer=miles, interaction_id="app-1", channel="app"
            ),
            make_event(
                "customer.authenticated",
                customer=miles,
                channel="app",
                method="app_biometric",
                level="strong",
                interaction_id="app-1",
                time=now.isoformat(),
            ),
        ],
    )
    issued = issue_code(engine, LOCAL_ADMIN, _miles(engine), interaction_id="app-1")
    contact = start_contact(
        engine,
        contact_start(
            channel="voice",
            identifiers=[Identifier("phone", "+442079460958")],
            agent_id="dave",
            contact_id="call-1",
            continuity=dt.timedelta(minutes=30),
            now=now,
        ),
    )
    assert contact.joined_case == "case-9"
    with engine.connect() as conn:
        call = hq.interaction(conn, "call-1")
    assert call is not None
    redeem_code(
        engine,
        LOCAL_ADMIN,
        issued.code,
        customer_id=contact.customer_id,
        interaction=call,
        source=Source("cli", "local"),
    )
    ingest_events(
        engine,
        [
            make_event(
                "message.posted",
                interaction_id="call-1",
                speaker="customer",
                text="My card keeps getting declined when I pay for fuel.",
                time=later,
            )
        ],
    )
    create_key(engine, role="agent", name="tier2")
    dave, _ = create_key(engine, role="agent", name="dave")
    hand_over(engine, dave, "call-1", to_agent="tier2")
    ingest_events(
        engine,
        [make_event("interaction.ended", interaction_id="call-1", outcome="resolved", time=later)],
    )

    before = snapshot(engine)
    with engine.connect() as conn:
        ended = (
            conn.execute(sa.select(t.interactions).where(t.interactions.c.external_id == "call-1"))
            .mappings()
            .one()
        )
        effort = conn.execute(
            sa.select(t.cases.c.effort).where(t.cases.c.external_id == "case-9")
        ).scalar_one()
    assert (ended["summary_by"], ended["restatements"], ended["transfers"]) == ("warmline", 1, 1)
    assert ended["verified_by"] == "continuation"
    assert effort == {
        "contacts": 2,
        "transfers": 1,
        "channel_switches": 1,
        "reverifications": 0,
        "restatements": 1,
    }
    rebuild_projections(engine, batch_size=3)
    assert snapshot(engine) == before
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.handovers)).scalar_one() == 1


def _miles(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                sa.select(t.customers.c.id).where(t.customers.c.name == "Miles Okafor")
            ).scalar_one()
        )
