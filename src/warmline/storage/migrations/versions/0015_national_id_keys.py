"""national id blocking keys: a part sorted, not the whole id

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 02:10:00

A national id was also indexed by its characters sorted, so that one typed with two
neighbouring characters swapped still met its record; every id with the same digits met
it too. It is now indexed by its first half as written with the rest sorted ("is"), and
its first half and one more sorted with the rest as written ("it"); an id under four
characters keeps the sorted key. Stored records' keys are rewritten here (the matching
code's own rule, written out: a migration must not change when that code does).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from hashlib import blake2b
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

CHUNK = 500


def _hashed(kind: str, value: str) -> str:
    return f"{kind}:{blake2b(value.encode(), digest_size=8).hexdigest()}"


def _sorted_key(national_id: str) -> list[str]:
    return [_hashed("is", "".join(sorted(national_id)))]


def _part_sorted_keys(national_id: str) -> list[str]:
    if len(national_id) < 4:
        return _sorted_key(national_id)
    half = len(national_id) // 2
    return [
        _hashed("is", national_id[:half] + "|" + "".join(sorted(national_id[half:]))),
        _hashed("it", "".join(sorted(national_id[: half + 1])) + "|" + national_id[half + 1 :]),
    ]


def _with_national_ids(conn: sa.Connection) -> Iterator[list[tuple[str, list[str]]]]:
    """Chunks of (origin, its national ids) for every record that has any, read a page
    of records at a time in origin order."""
    profiles = sa.table("match_profiles", sa.column("origin_id"), sa.column("record"))
    after = None
    while True:
        page = sa.select(profiles.c.origin_id, profiles.c.record).order_by(profiles.c.origin_id)
        if after is not None:
            page = page.where(profiles.c.origin_id > after)
        rows = conn.execute(page.limit(CHUNK)).all()
        if not rows:
            return
        after = rows[-1][0]
        chunk = []
        for origin, record in rows:
            data: Any = json.loads(record) if isinstance(record, str) else record
            ids = [str(v) for v in (data or {}).get("national_ids") or []]
            if ids:
                chunk.append((origin, ids))
        if chunk:
            yield chunk


def _rekey(keys_of: Callable[[str], list[str]]) -> None:
    conn = op.get_bind()
    keys = sa.table("match_keys", sa.column("key"), sa.column("origin_id"))
    for chunk in _with_national_ids(conn):
        origins = [origin for origin, _ in chunk]
        conn.execute(
            keys.delete().where(
                keys.c.origin_id.in_(origins),
                sa.or_(keys.c.key.like("is:%"), keys.c.key.like("it:%")),
            )
        )
        rows = [
            {"key": key, "origin_id": origin}
            for origin, ids in chunk
            for key in dict.fromkeys(k for v in ids for k in keys_of(v))
        ]
        if rows:
            conn.execute(keys.insert(), rows)


def upgrade() -> None:
    _rekey(_part_sorted_keys)


def downgrade() -> None:
    _rekey(_sorted_key)
