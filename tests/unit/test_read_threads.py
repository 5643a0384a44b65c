"""Short SQLite reads run on the event loop while they stay fast, on threads after a slow one."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy.engine import Engine

from tests.loops import run_apart
from warmline.serving import threads
from warmline.serving.threads import InlineReads, run_read
from warmline.storage.engine import make_engine


@pytest.fixture
def sqlite(tmp_path: object) -> Engine:
    return make_engine(f"sqlite:///{tmp_path}/reads.db")


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> InlineReads:
    fresh = InlineReads(slow=0.05, away=0.3)
    monkeypatch.setattr(threads, "inline_reads", fresh)
    return fresh


def where(engine: Engine, pause: float = 0.0) -> list[bool]:
    """Run reads one after another; for each, whether it ran on the loop's thread."""

    async def main() -> list[bool]:
        loop_thread = threading.get_ident()

        def read() -> bool:
            time.sleep(pause)
            return threading.get_ident() == loop_thread

        return [await run_read(engine, read) for _ in range(3)]

    return run_apart(main)


def test_fast_reads_run_on_the_loop(sqlite: Engine, reads: InlineReads) -> None:
    assert where(sqlite) == [True, True, True]


def test_a_slow_read_sends_the_next_ones_to_threads_for_a_while(
    sqlite: Engine, reads: InlineReads
) -> None:
    assert where(sqlite, pause=0.06) == [True, False, False]
    assert not reads.on_loop
    time.sleep(0.35)
    assert reads.on_loop
    assert where(sqlite) == [True, True, True]


def test_an_error_in_a_read_on_the_loop_reaches_the_caller(
    sqlite: Engine, reads: InlineReads
) -> None:
    def fails() -> None:
        raise LookupError("no such row")

    with pytest.raises(LookupError, match="no such row"):
        run_apart(lambda: run_read(sqlite, fails))
    assert reads.on_loop


def test_postgresql_reads_always_go_to_a_thread(reads: InlineReads) -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # never connected
    assert where(engine) == [False, False, False]
