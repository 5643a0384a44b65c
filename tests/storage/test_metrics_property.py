"""Property: after any sequence of events, merges and undos, the rollups kept at ingest are
exactly what a rebuild from the memory gives (segments change and follow merges)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from tests.storage.test_merge_undo_property import fresh_database, new_engine, op, run
from warmline.actions.metrics.rebuild import rollups_agree

__all__ = ["new_engine"]  # the fixture, shared with the merge/undo property


@settings(
    max_examples=int(os.environ.get("WARMLINE_PROPERTY_EXAMPLES", "15")),
    derandomize=not os.environ.get("WARMLINE_PROPERTY_EXPLORE"),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(op, min_size=2, max_size=12))
def test_rollups_agree_with_a_rebuild_after_any_merges(
    new_engine: Callable[[], Engine], ops: list[Any]
) -> None:
    note(f"ops = {ops!r}")
    with fresh_database(new_engine) as engine:
        run(engine, ops)
        assert rollups_agree(engine)
