"""Ingest's per-batch lookups, on the raw cursor (:class:`~warmline.storage.fastread.FastSelect`).

Resolving one new record touches five small index lookups; through SQLAlchemy's usual
path each cost several times the query itself (``benchmarks/identity_db.py``). Each
takes an ``IN`` list (``expanding``) so a batch asks once per table, not once per event.
"""

from __future__ import annotations

import sqlalchemy as sa

from warmline.domain.matching import BLOCK_CAP
from warmline.storage import schema as t
from warmline.storage.fastread import FastSelect


def _values(name: str) -> sa.BindParameter[list[str]]:
    return sa.bindparam(name, expanding=True)


def _capped_keys() -> sa.Select[tuple[str, str]]:
    k = t.match_keys
    ranked = (
        sa.select(
            k.c.key, k.c.origin_id, sa.func.row_number().over(partition_by=k.c.key).label("n")
        )
        .where(k.c.key.in_(_values("keys")))
        .subquery()
    )
    # At most BLOCK_CAP + 1 records a key: a larger block is not looked at anyway.
    return sa.select(ranked.c.key, ranked.c.origin_id).where(ranked.c.n <= BLOCK_CAP + 1)


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
MATCH_KEYS = FastSelect(_capped_keys())
MATCH_PROFILES = FastSelect(
    sa.select(
        t.match_profiles.c.origin_id, t.match_profiles.c.inputs, t.match_profiles.c.record
    ).where(t.match_profiles.c.origin_id.in_(_values("ids")))
)
