"""The card's raw-cursor reads return exactly what SQLAlchemy Core returns."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.factories import customer, make_event, miles_story
from warmline.actions.ingest import ingest_events
from warmline.storage import schema as t
from warmline.storage.card_queries import CARD
from warmline.storage.compiled_select import all_together


def test_fast_reads_match_core(engine: Engine) -> None:
    now = dt.datetime.now(dt.UTC)
    signed_in = make_event(
        "customer.authenticated",
        customer=customer(("email", "miles@example.org")),
        channel="app",
        method="app_biometric",
        level="strong",
        time=now.isoformat(),
    )
    # Miles again, at his number, with another email its source verified: one person
    # with two addresses, or two? A merge suggestion for the card to ask about.
    household = make_event(
        "customer.identified",
        customer=customer(
            ("phone", "+44 20 7946 0958"),
            ("email", "m.okafor@work.example", True),
            name="Miles Okafor",
        ),
        time=now.isoformat(),
    )
    ingest_events(engine, [*miles_story(now), signed_in, household])
    with engine.connect() as conn:
        cid = conn.execute(
            sa.select(t.customers.c.id)
            .where(t.customers.c.name == "Miles Okafor")
            .order_by(t.customers.c.created_at)
            .limit(1)
        ).scalar_one()
        iid = conn.execute(sa.select(t.interactions.c.id)).scalar_one()
        by_statement = {
            "messages": {"cid": cid, "iid": iid, "per": 5},
            "current": {"cid": cid, "iid": iid},
            "moment_activities": {
                "cid": cid,
                "names": ["card.declined", "loan.approved"],
                "since": now - dt.timedelta(days=30),
            },
        }
        cores = {}
        for name, fast in CARD.items():
            params = by_statement.get(name, {"cid": cid})
            core = [dict(r) for r in conn.execute(fast.statement, params).mappings()]
            assert fast.all(conn, **params) == core, name
            assert core, f"{name}: the story should give every card query a row"
            cores[name] = core
        # All of them at once (one pipeline on PostgreSQL), with a list that matches
        # nothing among them: the same rows, in order, and an empty one where it is.
        reads = [(fast, by_statement.get(name, {"cid": cid})) for name, fast in CARD.items()]
        nothing = {**by_statement["moment_activities"], "names": []}
        together = all_together(conn, [*reads, (CARD["moment_activities"], nothing)])
        assert together == [*cores.values(), []]
        assert all_together(conn, []) == []


def test_ingest_lookups_match_core_for_lists_of_every_length(engine: Engine) -> None:
    from warmline.storage import projection_reads as lookups

    now = dt.datetime.now(dt.UTC)
    ingest_events(engine, miles_story(now))
    with engine.connect() as conn:
        ids = list(conn.execute(sa.select(t.customers.c.id)).scalars())
        keys = list(conn.execute(sa.select(t.match_keys.c.key)).scalars())
        externals = list(conn.execute(sa.select(t.interactions.c.external_id)).scalars())
        cases = [
            (lookups.CUSTOMERS, {"ids": ids}),
            (lookups.CUSTOMERS, {"ids": [*ids, "cus_nobody"]}),
            (lookups.MATCH_PROFILES, {"ids": ids}),
            (lookups.ANCHORS["interaction"], {"ids": externals}),
            (lookups.IDENTIFIERS, {"kind": "email", "values": ["miles@example.org", "x@y.z"]}),
        ]
        for fast, params in cases:
            core = [dict(r) for r in conn.execute(fast.statement, params).mappings()]
            assert core, params
            assert sorted(map(repr, fast.all(conn, **params))) == sorted(map(repr, core)), params
            as_tuples = sorted(repr(tuple(row.values())) for row in core)
            assert sorted(map(repr, fast.rows(conn, **params))) == as_tuples, params
        assert lookups.CUSTOMERS.all(conn, ids=[]) == []
        k = t.match_keys
        for wanted in (keys[:1], keys, [*keys, "no such key"]):
            core = conn.execute(sa.select(k.c.key, k.c.origin_id).where(k.c.key.in_(wanted)))
            assert sorted(lookups.MATCH_KEYS.rows(conn, wanted)) == sorted(map(tuple, core))
        assert lookups.MATCH_KEYS.rows(conn, []) == []


def test_key_lookup_reads_one_record_past_the_cap_and_no_more(engine: Engine) -> None:
    """A common key's block is cut at BLOCK_CAP + 1 (enough to tell it is over the cap),
    for lists longer than one SQLite statement takes too."""
    from warmline.domain.identity.matching import BLOCK_CAP
    from warmline.storage import projection_reads as lookups

    sizes = {"common": BLOCK_CAP + 40, "at-cap": BLOCK_CAP, "single": 1}
    with engine.begin() as conn:
        conn.execute(
            t.match_keys.insert(),
            [
                {"key": key, "origin_id": f"cus_{key}_{n:03d}"}
                for key, size in sizes.items()
                for n in range(size)
            ],
        )
    rare = [f"rare-{n}" for n in range(lookups.SQLITE_BLOCKS_PER_STATEMENT + 10)]
    with engine.connect() as conn:
        rows = lookups.MATCH_KEYS.rows(conn, [*rare, *sizes])
    got: dict[str, int] = {}
    for key, _ in rows:
        got[key] = got.get(key, 0) + 1
    assert got == {"common": BLOCK_CAP + 1, "at-cap": BLOCK_CAP, "single": 1}


def test_sqlite_times_read_back_utc_whatever_their_shape() -> None:
    from warmline.storage.compiled_select import _utc_text

    utc = dt.UTC
    for text, expected in (
        ("2026-03-29 01:30:15.123456", dt.datetime(2026, 3, 29, 1, 30, 15, 123456, utc)),
        ("2026-03-29 01:30:15", dt.datetime(2026, 3, 29, 1, 30, 15, tzinfo=utc)),
        ("2026-03-29T01:30", dt.datetime(2026, 3, 29, 1, 30, tzinfo=utc)),
        ("2026-03-29", dt.datetime(2026, 3, 29, tzinfo=utc)),  # a date: midnight, UTC
        ("2026-03-29T01:30:15Z", dt.datetime(2026, 3, 29, 1, 30, 15, tzinfo=utc)),
        # A zone of its own is read as before (as UTC wall time).
        ("2026-03-29 01:30:15+02:00", dt.datetime(2026, 3, 29, 1, 30, 15, tzinfo=utc)),
    ):
        parsed = _utc_text(text)
        assert (parsed, parsed.tzinfo) == (expected, utc), text
    assert _utc_text(None) is None
    naive = dt.datetime.fromisoformat("2026-01-01T12:00")  # as a driver may hand it over
    assert _utc_text(naive) == dt.datetime(2026, 1, 1, 12, tzinfo=utc)
