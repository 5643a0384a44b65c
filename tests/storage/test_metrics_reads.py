"""The reads and writes behind the rollups at ingest, run on the driver's cursor, give and
store exactly what SQLAlchemy Core gives and stores."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.factories import miles_story
from warmline.actions.ingest import ingest_events
from warmline.storage import metrics_queries as mq
from warmline.storage import schema as t
from warmline.storage.bulk import insert_bound, insert_rows
from warmline.storage.engine import writing


def _core(conn: sa.Connection, query: sa.Select[tuple[object, ...]]) -> list[dict[str, object]]:
    return [dict(r) for r in conn.execute(query).mappings()]


def _by_id(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return sorted(rows, key=lambda r: str(r["id"]))


def test_metrics_reads_match_core(engine: Engine) -> None:
    now = dt.datetime.now(dt.UTC)
    ingest_events(engine, miles_story(now))
    i, c, k, f = t.interactions, t.cases, t.commitments, t.feedback
    with engine.connect() as conn:
        contacts = _core(conn, sa.select(i).order_by(i.c.started_at))
        assert contacts, "the story has contacts"
        cid = str(contacts[0]["customer_id"])
        first = contacts[0]["started_at"]
        assert isinstance(first, dt.datetime)
        columns = [i.c[name] for name in mq.INTERACTION_COLUMNS]

        def core_contacts(*where: sa.ColumnElement[bool]) -> list[dict[str, object]]:
            return _by_id(_core(conn, sa.select(*columns).where(i.c.customer_id == cid, *where)))

        assert _by_id(mq.interactions_of(conn, [cid])) == core_contacts()
        # Both bounds are included, to the microsecond, as Core binds them.
        for since, until in (
            (first, first),
            (first + dt.timedelta(microseconds=1), now + dt.timedelta(days=1)),
            (first - dt.timedelta(days=1), first - dt.timedelta(microseconds=1)),
        ):
            assert _by_id(mq.interactions_of(conn, [cid], since, until)) == core_contacts(
                i.c.started_at >= since, i.c.started_at <= until
            ), (since, until)
        assert mq.interactions_of(conn, [cid], first, first), "the first contact is on its bound"
        ids = [str(r["id"]) for r in contacts]
        assert _by_id(mq.interactions_by_id(conn, ids)) == _by_id(
            _core(conn, sa.select(*columns).where(i.c.id.in_(ids)))
        )
        for table, read, names in (
            (c, mq.cases_by, mq.CASE_COLUMNS),
            (k, mq.commitments_by, mq.COMMITMENT_COLUMNS),
            (f, mq.feedback_by, mq.FEEDBACK_COLUMNS),
        ):
            core = _core(
                conn, sa.select(*(table.c[n] for n in names)).where(table.c.customer_id == cid)
            )
            assert _by_id(read(conn, "customer_id", [cid])) == _by_id(core), table.name
        assert _core(conn, sa.select(c.c.id)), "the story opens a case"
        m = t.metric_contributions
        core = {r["source_id"]: r for r in _core(conn, sa.select(m).where(m.c.customer_id == cid))}
        assert core, "the story's contacts contribute"
        assert mq.contributions_by(conn, "customer_id", [cid]) == core
        assert mq.contributions_by(conn, "source_id", list(core)) == core


def test_insert_bound_stores_what_insert_stores(engine: Engine) -> None:
    m = t.metric_contributions
    row = {
        "kind": "interaction",
        "customer_id": "c-1",
        "day": dt.date(2026, 3, 9),
        "channel": "chat",
        "team": "cards",
        "reason": "card declined",
        "segment": "",
        "agent": "a-7",
        "counts": {"contacts": 1, "sentiment_change_milli": -250},
    }
    with writing(engine) as conn, conn.begin():
        insert_rows(conn, m, [{"source_id": "by-core", **row}])
        insert_bound(conn, m, [{"source_id": "by-cursor", **row}])
        names = [column.name for column in m.c if column.name != "source_id"]
        stored = conn.execute(
            sa.select(*(sa.cast(m.c[name], sa.Text) for name in names)).order_by(m.c.source_id)
        ).all()
        read = [dict(r) for r in conn.execute(sa.select(m).order_by(m.c.source_id)).mappings()]
    assert stored[0] == stored[1]
    assert {**read[0], "source_id": "by-core"} == {**read[1], "source_id": "by-core"}
    assert read[0]["counts"] == row["counts"]
