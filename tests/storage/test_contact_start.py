"""A contact's start in one transaction: the channel switch decided beforehand for the
customer the caller names (a branch visit), and done again when ingest finds someone else."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.factories import customer, dave_starts, identified, message, started
from warmline.actions.contacts import Contact
from warmline.actions.ingest import ingest_events
from warmline.domain.identity.identifiers import Identifier
from warmline.storage import schema as t

MILES_IDS = (("email", "miles@example.org", True), ("phone", "+44 20 7946 0958", True))
ANN = customer(("email", "ann@example.org", True), name="Ann Lee")


def _seed(engine: Engine, now: dt.datetime) -> tuple[str, str]:
    chat_at = (now - dt.timedelta(minutes=4)).isoformat()
    batch = ingest_events(
        engine,
        [
            identified(customer(*MILES_IDS, name="Miles Okafor")),
            identified(ANN),
            started("chat-1", "chat", time=chat_at),
            message("chat-1", "My card keeps being declined", time=chat_at),
        ],
    )
    miles, ann = batch.items[0].customer_id, batch.items[1].customer_id
    assert miles and ann
    return miles, ann


def _visit(engine: Engine, now: dt.datetime, contact_id: str, *, known: str) -> Contact:
    """A branch visit by Miles's email, started by Dave for the customer named ``known``."""
    return dave_starts(
        engine, "branch", Identifier("email", "miles@example.org"), contact_id, now, known=known
    )


def _cases_of(engine: Engine, customer_id: str) -> dict[str, str | None]:
    i = t.interactions
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(i.c.external_id, i.c.case_id).where(i.c.customer_id == customer_id)
        ).all()
    return {r.external_id: r.case_id for r in rows}


def test_a_visit_named_beforehand_joins_the_case_in_its_start_batch(engine: Engine) -> None:
    now = dt.datetime.now(dt.UTC)
    miles, _ = _seed(engine, now)
    contact = _visit(engine, now, "visit-1", known=miles)
    assert contact.customer_id == miles and contact.recognised and contact.joined_case
    cases = _cases_of(engine, miles)
    assert cases["visit-1"] is not None and cases["visit-1"] == cases["chat-1"]
    r = t.raw_events
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(r.c.type, r.c.received_at).where(r.c.source == "warmline.contacts")
        ).all()
        pushes = conn.execute(sa.select(t.desk_pushes.c.agent)).scalars().all()
    # The start and the case it joined were recorded together (one time of receipt), and
    # the push with them.
    assert sorted(s.type for s in stored) == ["case.opened", "case.updated", "interaction.started"]
    assert len({s.received_at for s in stored}) == 1
    assert pushes == ["dave"]


def test_a_start_that_lands_on_someone_else_is_done_again_for_them(engine: Engine) -> None:
    """The caller named Ann, but the identifier is Miles's (say, merged meanwhile): the
    case decided for Ann is dropped whole, and Miles's contact joins his own chat's case."""
    now = dt.datetime.now(dt.UTC)
    miles, ann = _seed(engine, now)
    contact = _visit(engine, now, "visit-2", known=ann)
    assert contact.customer_id == miles and contact.recognised and contact.joined_case
    cases = _cases_of(engine, miles)
    assert cases["visit-2"] is not None and cases["visit-2"] == cases["chat-1"]
    assert set(_cases_of(engine, ann)) == set()
    with engine.connect() as conn:
        pushes = conn.execute(sa.select(t.desk_pushes.c.customer_id)).scalars().all()
    assert pushes == [miles]
