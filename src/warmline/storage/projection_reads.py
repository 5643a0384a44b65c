"""Ingest's per-batch lookups, on the raw cursor
(:class:`~warmline.storage.compiled_select.FastSelect`).

Resolving one new record touches five small index lookups; through SQLAlchemy's usual
path each cost several times the query itself (``benchmarks/identity_db.py``). Each
takes a list (an ``IN``, or one capped read a key for :class:`CappedKeys`) so a batch
asks once per table, not once per event.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from warmline.domain.identity.matching import BLOCK_CAP
from warmline.storage import schema as t
from warmline.storage.compiled_select import FastSelect, execute_raw


def _values(name: str) -> sa.BindParameter[list[str]]:
    return sa.bindparam(name, expanding=True)


#: Pads a list of keys: no record has it (every key is "kind:value").
NO_KEY = ""


#: Most blocks one SQLite statement reads (each a UNION ALL arm; SQLite allows 500).
SQLITE_BLOCKS_PER_STATEMENT = 256


class CappedKeys:
    """The records of each blocking key, at most ``BLOCK_CAP + 1`` a key, reading no more.

    A block over the cap is not looked at anyway, but a common key (the phonetic code
    of a frequent surname, a busy postcode) holds thousands of records in a memory of a
    million: an ``IN`` over the keys would read them all. Each key is read as its own
    index range with a ``LIMIT`` instead: a lateral join on PostgreSQL; on SQLite, which
    has no lateral joins, one ``UNION ALL`` arm a key, written out directly (SQLAlchemy
    takes tens of milliseconds to compile a few hundred arms) and padded to a power of
    two with a key no record has, so that a handful of statements serve every length.
    """

    def __init__(self) -> None:
        self._lateral = FastSelect(self._lateral_statement())
        self._union: dict[int, str] = {}

    def rows(self, conn: Connection, keys: Sequence[str]) -> list[tuple[str, str]]:
        """``(key, origin_id)`` rows; an empty ``keys`` asks nothing."""
        if not keys:
            return []
        if conn.dialect.name == "postgresql":
            return self._lateral.rows(conn, keys=list(keys))
        rows: list[tuple[str, str]] = []
        for start in range(0, len(keys), SQLITE_BLOCKS_PER_STATEMENT):
            part = list(keys[start : start + SQLITE_BLOCKS_PER_STATEMENT])
            arms = 1 << (len(part) - 1).bit_length()
            rows.extend(
                execute_raw(conn, self._union_sql(arms), part + [NO_KEY] * (arms - len(part)))
            )
        return rows

    def _union_sql(self, arms: int) -> str:
        sql = self._union.get(arms)
        if sql is None:
            k = t.match_keys
            # Only the schema's names and a constant are written in; keys are parameters.
            arm = (
                f"SELECT * FROM (SELECT {k.c.key.name}, {k.c.origin_id.name} FROM {k.name} "  # noqa: S608
                f"WHERE {k.c.key.name} = ? LIMIT {BLOCK_CAP + 1})"
            )
            sql = self._union[arms] = " UNION ALL ".join([arm] * arms)
        return sql

    @staticmethod
    def _lateral_statement() -> sa.Select[tuple[str, str]]:
        k = t.match_keys
        keys = (
            sa.func.unnest(sa.bindparam("keys", type_=postgresql.ARRAY(sa.String)))
            .table_valued("key")
            .render_derived(name="wanted")
        )
        block = sa.select(k.c.origin_id).where(k.c.key == keys.c.key).limit(BLOCK_CAP + 1)
        lateral = block.lateral("block")
        return sa.select(keys.c.key, lateral.c.origin_id).select_from(keys.join(lateral, sa.true()))


IDENTIFIERS = FastSelect(
    sa.select(t.identifiers).where(
        t.identifiers.c.kind == sa.bindparam("kind"), t.identifiers.c.value.in_(_values("values"))
    )
)
ANCHORS = {
    kind: FastSelect(sa.select(table).where(table.c.external_id.in_(_values("ids"))))
    for kind, table in (
        ("interaction", t.interactions),
        ("case", t.cases),
        ("commitment", t.commitments),
    )
}
CUSTOMERS = FastSelect(sa.select(t.customers).where(t.customers.c.id.in_(_values("ids"))))
MATCH_KEYS = CappedKeys()
MATCH_PROFILES = FastSelect(
    sa.select(
        t.match_profiles.c.origin_id, t.match_profiles.c.inputs, t.match_profiles.c.record
    ).where(t.match_profiles.c.origin_id.in_(_values("ids")))
)
#: Only the comparison-ready records: what a match candidate is read for.
MATCH_RECORDS = FastSelect(
    sa.select(t.match_profiles.c.origin_id, t.match_profiles.c.record).where(
        t.match_profiles.c.origin_id.in_(_values("ids"))
    )
)
#: The records merged into each of some live customers: ``(record, customer)``.
MERGED_INTO = FastSelect(
    sa.select(t.customers.c.id, t.customers.c.merged_into).where(
        t.customers.c.merged_into.in_(_values("ids")), t.customers.c.status == "merged"
    )
)
