"""The match index reads a candidate for its stored record only, and the rest to change it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.factories import customer, make_event
from warmline.actions.ingest import ingest_events
from warmline.actions.projection.match_index import MatchIndex
from warmline.domain.identity.matching import MatchRecord, blocking_keys
from warmline.storage import schema as t


def _one_customer(engine: Engine) -> str:
    event = make_event(
        "customer.identified",
        customer=customer(
            ("email", "ada@example.org"),
            name="Ada Quist",
            date_of_birth="1980-02-01",
            postcode="SW1A 1AA",
            address="10 Downing Street, London",
        ),
    )
    result = ingest_events(engine, [event], insight=False)
    customer_id = result.items[0].customer_id
    assert customer_id is not None
    return customer_id


def test_a_candidate_is_read_for_its_record_and_its_inputs_only_to_change_it(
    engine: Engine,
) -> None:
    origin = _one_customer(engine)
    with engine.begin() as conn:
        index = MatchIndex(conn)
        index.load_candidates([origin])
        profile = index.profiles[origin]
        assert profile.inputs is None
        assert (profile.record.first_name, profile.record.postcode) == ("ada", "SW1A1AA")

        index.add_identifier(origin, "phone", "+442079460958", False)
        assert index.profiles[origin].inputs is not None
        index.flush()
    with engine.connect() as conn:
        inputs, record = conn.execute(
            sa.select(t.match_profiles.c.inputs, t.match_profiles.c.record).where(
                t.match_profiles.c.origin_id == origin
            )
        ).one()
        keys = set(
            conn.execute(
                sa.select(t.match_keys.c.key).where(t.match_keys.c.origin_id == origin)
            ).scalars()
        )
    kinds = sorted(kind for kind, *_ in inputs["identifiers"])
    assert kinds == ["email", "phone"], "the email read back and the phone added"
    assert inputs["traits"]["name"]["value"] == "Ada Quist"
    assert record["phones"] == ["+442079460958"] and record["first_name"] == "ada"
    assert keys == set(blocking_keys(MatchRecord.from_json(record)))


def test_a_candidate_stored_by_another_version_is_rebuilt_from_its_inputs(engine: Engine) -> None:
    origin = _one_customer(engine)
    with engine.begin() as conn:
        conn.execute(
            t.match_profiles.update()
            .where(t.match_profiles.c.origin_id == origin)
            .values(record={"v": 0, "first_name": "somebody else"})
        )
    with engine.connect() as conn:
        index = MatchIndex(conn)
        index.load_candidates([origin])
        assert index.profiles[origin].inputs is None, "read for its record only"
        profile = index.profile(origin)
        assert profile.inputs is not None, "read in full when the record cannot be rebuilt"
        assert profile.record.first_name == "ada"
