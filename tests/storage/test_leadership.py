"""One worker runs the singleton jobs: on PostgreSQL the holder of an advisory lock, taken
over when it goes; on SQLite the one process always."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from warmline.serving.leadership import Leadership


def test_one_worker_leads_and_another_takes_over_when_it_goes(engine: Engine) -> None:
    first, second = Leadership(engine), Leadership(engine)  # two workers' views
    try:
        if engine.dialect.name != "postgresql":
            assert first.held() and second.held()  # one process on SQLite: it leads
            return
        assert first.held()
        assert not second.held()
        assert first.held()  # still leading, asked again
        first.release()  # the leading worker goes (its connection closes)
        assert second.held()
        assert not first.held()
    finally:
        first.release()
        second.release()
