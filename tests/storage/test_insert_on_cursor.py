"""Rows inserted on the DB-API cursor read back exactly as rows inserted by ``insert()``."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.storage import schema as t
from warmline.storage.bulk import insert_on_cursor


def test_rows_on_the_cursor_read_back_as_insert_writes_them(engine: Engine) -> None:
    at = dt.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))

    def rows(action: str) -> list[dict[str, object]]:
        return [
            {
                "at": at,
                "actor": "key_1",
                "role": "agent",
                "action": action,
                "customer_id": customer,
                "detail": detail,
                "prev_hash": "0" * 64,
                "hash": "f" * 64,
            }
            for customer, detail in (
                ("cus_1", {"fields": ["name"], "note": "café ✓", "n": 1.5}),
                (None, {}),
                ("cus_2", None),
            )
        ]

    a = t.audit_log
    with engine.begin() as conn:
        conn.execute(a.insert(), rows("by.insert"))
        insert_on_cursor(conn, a, rows("by.cursor"))
    with engine.connect() as conn:
        stored = [dict(r) for r in conn.execute(sa.select(a).order_by(a.c.id)).mappings()]
        nulls = conn.execute(
            sa.select(sa.func.count()).select_from(a).where(a.c.detail.is_(None))
        ).scalar_one()
    assert len(stored) == 6
    for inserted, on_cursor in zip(stored[:3], stored[3:], strict=True):
        assert {**inserted, "id": 0, "action": ""} == {**on_cursor, "id": 0, "action": ""}
    assert stored[3]["at"] == at and stored[3]["detail"]["note"] == "café ✓"
    assert nulls == 0  # a None detail is JSON null on both paths, as insert() stores it
