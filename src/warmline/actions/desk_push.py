"""Pushes to a desk (a contact, a handover, an arrival): a row in ``desk_pushes`` and a
live announcement, in the writer's transaction.

A desk's stream replays pushes by id (``Last-Event-ID``), so a desk must never see a push
with a smaller id commit after one with a larger id it has already sent. On PostgreSQL ids
come from a sequence in the order transactions *ask*, not the order they *commit*: each
push therefore first takes a transaction lock on its desk, so pushes to one desk commit in
the order of their ids. (SQLite has one writer at a time: its ids are in commit order.)
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.storage import schema as t
from warmline.storage.live import announce, desk_topic


def insert_push(conn: Connection, **values: Any) -> None:
    """Write one push for ``values["agent"]``'s desk; its stream wakes on commit."""
    agent = values["agent"]
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"warmline_desk:{agent}"}
        )
    conn.execute(t.desk_pushes.insert().values(**values))
    announce(conn, desk_topic(agent))
