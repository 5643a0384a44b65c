"""Announcements wake listening streams once the write is committed, never before it and
never for a write rolled back; on PostgreSQL they travel as NOTIFY to every process."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.loops import run_apart
from warmline.actions.desk_push import insert_push
from warmline.serving.live_listener import ensure_listening
from warmline.storage import schema as t
from warmline.storage.engine import writing
from warmline.storage.live import HUB, MAX_PAYLOAD, announce, desk_topic, payloads


def _push(engine: Engine, agent: str, *, fail: bool = False) -> None:
    with writing(engine) as conn, conn.begin():
        insert_push(
            conn,
            agent=agent,
            kind="contact",
            customer_id=None,
            interaction_id=None,
            channel="voice",
            detail={"recognised": False, "candidates": []},
            at=dt.datetime.now(dt.UTC),
        )
        if fail:
            raise RuntimeError("the write fails after its announcement")


def _count(engine: Engine, agent: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).where(t.desk_pushes.c.agent == agent)
            ).scalar_one()
        )


async def settled(engine: Engine) -> None:
    """Once this returns, this process listens and every ring from before has arrived: a
    probe announced now comes after them (one listening thread rings in order)."""
    loop = asyncio.get_running_loop()
    listener = ensure_listening(engine)
    if listener is not None:
        assert await loop.run_in_executor(None, listener.listening.wait, 30)

    def probe() -> None:
        with writing(engine) as conn, conn.begin():
            announce(conn, "probe")

    with HUB.listen(["probe"]) as ear:
        await loop.run_in_executor(None, probe)
        assert "probe" in await ear.wait(30)


def test_a_committed_push_rings_its_desk_and_is_readable_when_it_does(engine: Engine) -> None:
    async def scenario() -> tuple[set[str], int, set[str]]:
        loop = asyncio.get_running_loop()
        with HUB.listen([desk_topic("dave"), desk_topic("erin")]) as ear:
            await settled(engine)  # PostgreSQL: a first connection rings every stream
            ear.event.clear()
            ear.rung.clear()
            await loop.run_in_executor(None, _push, engine, "dave")
            rung = await ear.wait(30)
            seen = await loop.run_in_executor(None, _count, engine, "dave")
            with contextlib.suppress(RuntimeError):
                await loop.run_in_executor(None, lambda: _push(engine, "erin", fail=True))
            quiet = await ear.wait(1.0)
        return rung, seen, quiet

    rung, seen, quiet = run_apart(scenario)
    assert rung == {"desk:dave"}
    assert seen == 1  # the ring came after the commit: the stream reads the push
    assert quiet == set()  # rolled back: no ring, no push
    assert _count(engine, "erin") == 0


def test_announcing_outside_a_push_rings_only_on_commit(engine: Engine) -> None:
    async def scenario() -> tuple[set[str], set[str]]:
        loop = asyncio.get_running_loop()
        with HUB.listen(["screen:B1"]) as ear:
            await settled(engine)
            ear.event.clear()
            ear.rung.clear()

            def rolled_back() -> None:
                with writing(engine) as conn:
                    conn.begin()
                    announce(conn, "screen:B1")
                    conn.rollback()

            def committed() -> None:
                with writing(engine) as conn, conn.begin():
                    announce(conn, "screen:B1")

            await loop.run_in_executor(None, rolled_back)
            first = await ear.wait(1.0)
            await loop.run_in_executor(None, committed)
            second = await ear.wait(30)
        return first, second

    first, second = run_apart(scenario)
    assert first == set()
    assert second == {"screen:B1"}


def test_payloads_join_topics_below_postgresqls_limit() -> None:
    topics = [f"interaction:{n:040d}" for n in range(1000)]
    joined = payloads([*topics, topics[0]])  # said twice, sent once
    assert all(len(p.encode()) <= MAX_PAYLOAD for p in joined)
    assert [topic for p in joined for topic in p.split("\n")] == topics
    assert len(joined) > 1
