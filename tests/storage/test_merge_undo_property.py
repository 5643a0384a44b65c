"""Property: any sequence of events, merges and undos leaves the memory exactly as if the
undone merges had never been made (the merges still in force applied as recorded)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from tests.conftest import truncate_postgres
from tests.factories import at, customer, make_event
from warmline.actions.ingest import ingest_events
from warmline.actions.merges import merge_customers, undo_merge
from warmline.domain.access.roles import LOCAL_ADMIN
from warmline.errors import WarmlineError
from warmline.storage import identity_queries as iq
from warmline.storage import schema as t
from warmline.storage.engine import make_engine

PEOPLE = [
    ("Ann Lee", "1980-02-01", "SW1A 1AA"),
    ("Ann Lee", "1980-02-01", "SW1A 1AA"),  # the same person, seen again elsewhere
    ("Bob Stone", "1975-06-30", "M1 1AE"),
    ("Carol Stone", "1977-01-12", "M1 1AE"),  # Bob's household: same phone
    ("Ann Lee", "1980-02-01", "SW1A 1AA"),  # and again: links or bridges the first two
]
PHONES = ["+442079460111", "+442079460222", "+442079460333", "+442079460333", "+442079460444"]

person = st.integers(min_value=0, max_value=len(PEOPLE) - 1)
event_kind = st.sampled_from(["identified", "traits", "interaction", "case", "activity", "phone"])
op = st.one_of(
    st.tuples(st.just("events"), st.lists(st.tuples(event_kind, person), min_size=1, max_size=4)),
    st.tuples(st.just("merge"), person, person),
    st.tuples(st.just("undo"), st.integers(min_value=0, max_value=5)),
)


def events_for(batch: list[tuple[str, int]], step: int) -> list[dict[str, Any]]:
    out = []
    for n, (kind, who) in enumerate(batch):
        name, born, postcode = PEOPLE[who]
        email = ("email", f"p{who}@example.org")
        when = at(step * 10 + n)
        key = f"s{step}-{n}"
        if kind == "identified":
            ref = customer(email, name=name, date_of_birth=born, postcode=postcode)
            out.append(make_event("customer.identified", id_=key, time=when, customer=ref))
        elif kind == "traits":
            ref = customer(email, preferred_name=name.split()[0] + str(step), segment=f"s{step}")
            out.append(make_event("customer.identified", id_=key, time=when, customer=ref))
        elif kind == "phone":
            ref = customer(("phone", PHONES[who]), name=name)
            out.append(make_event("customer.identified", id_=key, time=when, customer=ref))
        elif kind == "interaction":
            ref = customer(email)
            iid = f"int-{key}"
            out.append(
                make_event(
                    "interaction.started",
                    id_=key,
                    time=when,
                    customer=ref,
                    interaction_id=iid,
                    channel="chat",
                )
            )
            out.append(
                make_event(
                    "message.posted",
                    id_=key + "m",
                    time=when,
                    interaction_id=iid,
                    speaker="customer",
                    text=f"message {key}",
                )
            )
        elif kind == "case":
            out.append(
                make_event(
                    "case.opened",
                    id_=key,
                    time=when,
                    customer=customer(email),
                    case_id=f"case-{key}",
                    title="A case",
                )
            )
        else:
            out.append(
                make_event(
                    "activity", id_=key, time=when, customer=customer(email), name="card.declined"
                )
            )
    return out


def record_of(engine: Engine, who: int) -> str | None:
    """The customer record person ``who``'s email was first recorded on."""
    with engine.connect() as conn:
        return conn.execute(
            sa.select(t.identifiers.c.origin_id).where(
                t.identifiers.c.kind == "email", t.identifiers.c.value == f"p{who}@example.org"
            )
        ).scalar()


def run(engine: Engine, ops: list[Any]) -> list[tuple[int, str, str, str]]:
    """Apply ``ops``; return the merges made as (step, id, from, into)."""
    made: list[tuple[int, str, str, str]] = []
    for step, operation in enumerate(ops):
        if operation[0] == "events":
            ingest_events(engine, events_for(operation[1], step))
        elif operation[0] == "merge":
            ids = [record_of(engine, who) for who in operation[1:]]
            if None in ids:
                continue
            with engine.connect() as conn:
                from_id, into_id = (iq.live_root(conn, str(r)) for r in ids)
            try:
                merge = merge_customers(
                    engine,
                    from_id=from_id,
                    into_id=into_id,
                    actor=LOCAL_ADMIN,
                    override_conflicts=True,
                )
            except WarmlineError:
                continue  # the same customer already: nothing to merge
            made.append((step, merge["id"], from_id, into_id))
        elif made:
            try:
                undo_merge(engine, made[operation[1] % len(made)][1], LOCAL_ADMIN, "test")
            except WarmlineError:
                continue  # undone already
    return made


def replay(engine: Engine, ops: list[Any], kept: dict[int, tuple[str, str]]) -> None:
    """The same events, and only the merges still in force, made as they were recorded."""
    for step, operation in enumerate(ops):
        if operation[0] == "events":
            ingest_events(engine, events_for(operation[1], step))
        elif step in kept:
            from_id, into_id = kept[step]
            merge_customers(
                engine, from_id=from_id, into_id=into_id, actor=LOCAL_ADMIN, override_conflicts=True
            )


def canonical(value: Any) -> str:
    """A value as comparable text (JSON objects compare whatever their key order)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=repr).decode()


def memory(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with engine.connect() as conn:
        for table in (*t.PROJECTIONS,):
            rows = conn.execute(sa.select(table)).all()
            out[table.name] = sorted(tuple(canonical(v) for v in row) for row in rows)
    return out


def check_invariants(engine: Engine) -> None:
    """Every row is on the live customer of its record; messages follow their interaction;
    merged records point at live customers and are not found by name."""
    with engine.connect() as conn:
        customers = {r.id: r for r in conn.execute(sa.select(t.customers))}
        live = {
            cid: (r.merged_into if r.status == "merged" else cid) for cid, r in customers.items()
        }
        for cid, row in customers.items():
            assert (row.status == "merged") == (row.merged_into is not None), cid
            if row.merged_into:
                assert customers[row.merged_into].status == "active", cid
        for table in t.BY_ORIGIN:
            for row in conn.execute(sa.select(table.c.customer_id, table.c.origin_id)):
                assert row.customer_id == live[row.origin_id], table.name
        owner = {
            r.id: r.customer_id
            for r in conn.execute(sa.select(t.interactions.c.id, t.interactions.c.customer_id))
        }
        for row in conn.execute(sa.select(t.messages.c.customer_id, t.messages.c.interaction_id)):
            assert row.customer_id == owner[row.interaction_id], "messages"
        for (cid,) in conn.execute(sa.select(t.name_tokens.c.customer_id)):
            assert customers[cid].status == "active", "name_tokens"


@contextmanager
def fresh_database(make: Callable[[], Engine]) -> Iterator[Engine]:
    engine = make()
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def new_engine(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Callable[[], Engine]:
    counter = iter(range(10**6))

    def make() -> Engine:
        if backend == "sqlite":
            path = tmp_path / f"m{next(counter)}.db"
            shutil.copy(request.getfixturevalue("sqlite_template"), path)
            return make_engine(f"sqlite:///{path}", sqlite_synchronous="OFF")
        pg: Engine = request.getfixturevalue("postgres_engine")
        truncate_postgres(pg)
        return make_engine(pg.url.render_as_string(hide_password=False))

    return make


@settings(
    max_examples=int(os.environ.get("WARMLINE_PROPERTY_EXAMPLES", "40")),
    # The same examples on every run of the suite (CI never fails at random); explore new
    # ones with WARMLINE_PROPERTY_EXPLORE=1 and more WARMLINE_PROPERTY_EXAMPLES.
    derandomize=not os.environ.get("WARMLINE_PROPERTY_EXPLORE"),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(op, min_size=2, max_size=14))
# Found by random runs: a record linked while the record it matched was merged into
# someone else must stay with that record when that merge is undone.
@example(
    ops=[
        ("events", [("identified", 1), ("identified", 2)]),
        ("merge", 1, 2),
        ("events", [("identified", 0)]),
        ("undo", 0),
    ]
)
# Found by CI: a record that matches two records of one customer is joined to both at the
# same event time; replaying must join it as ingest did (the link before the bridge).
@example(
    ops=[
        ("events", [("identified", 0)]),
        ("merge", 0, 0),
        ("undo", 0),
        ("events", [("identified", 1)]),
        ("events", [("identified", 4), ("identified", 2)]),
        ("merge", 0, 2),
        ("undo", 0),
    ]
)
@example(
    ops=[
        ("events", [("identified", 0)]),
        ("merge", 0, 0),
        ("undo", 0),
        ("events", [("identified", 1)]),
        ("events", [("identified", 4), ("identified", 2)]),
        ("merge", 0, 2),
        ("events", [("identified", 0)]),
        ("undo", 0),
        ("events", [("identified", 0)]),
        ("merge", 0, 2),
    ]
)
def test_undone_merges_leave_no_trace(new_engine: Callable[[], Engine], ops: list[Any]) -> None:
    note(f"ops = {ops!r}")
    with fresh_database(new_engine) as engine:
        made = run(engine, ops)
        with engine.connect() as conn:
            active = {
                r.id
                for r in conn.execute(sa.select(t.merges.c.id).where(t.merges.c.status == "active"))
            }
        kept = {step: (f, i) for step, mid, f, i in made if mid in active}
        check_invariants(engine)
        after = memory(engine)
    with fresh_database(new_engine) as engine:
        replay(engine, ops, kept)
        expected = memory(engine)
    for table in expected:
        assert after[table] == expected[table], table
