"""Migrations: upgrade from empty works on both databases and matches the schema module."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from warmline.storage import schema
from warmline.storage.migrate import current_revision, head_revision, upgrade


def _empty(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    else:
        schema.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


def test_upgrade_from_empty_reaches_head_and_matches_the_schema(engine: Engine) -> None:
    _empty(engine)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), schema.metadata)
            tables = set(sa.inspect(conn).get_table_names())
        assert diff == []
        assert {table.name for table in schema.metadata.sorted_tables} <= tables
        upgrade(engine)  # a second upgrade is a no-op
    finally:
        if engine.dialect.name == "postgresql":
            _empty(engine)
            upgrade(engine)


def test_every_customer_table_carries_a_customer_or_record_id() -> None:
    for table in schema.PROJECTIONS:
        keyed = {"customer_id", "origin_id"} & set(table.c.keys())
        assert keyed or table is schema.customers, table.name


def test_every_table_with_a_customer_says_what_a_merge_does_to_it() -> None:
    """A table added later with a customer_id must be moved by merges and undos, or be
    declared history; forgetting it would leave rows on the wrong customer."""
    declared = {*schema.BY_ORIGIN, *schema.BY_INTERACTION, *schema.AS_RECORDED, *schema.DERIVED}
    # Search tokens are recomputed from names; the raw log keeps the record an event
    # landed on, which merges never change.
    recomputed = {schema.name_tokens, schema.raw_events}
    for table in schema.metadata.sorted_tables:
        if "customer_id" in table.c and table not in recomputed:
            assert table in declared, table.name
    for table in schema.BY_ORIGIN:
        assert "origin_id" in table.c, table.name


def test_national_id_keys_are_rewritten_both_ways(engine: Engine) -> None:
    from alembic import command

    from warmline.domain.identity.matching.blocking import _hashed, transposition_keys
    from warmline.storage.migrate import alembic_config

    _empty(engine)
    try:
        upgrade(engine, "0014")
        record = {"v": 1, "last_name": "okafor", "national_ids": ["AB123456C", "X12"]}
        whole_sorted = [_hashed("is", "".join(sorted(v))) for v in ("AB123456C", "X12")]
        with engine.begin() as conn:
            conn.execute(
                schema.match_profiles.insert(),
                [
                    {"origin_id": "r1", "inputs": {}, "record": record},
                    {"origin_id": "r2", "inputs": {}, "record": {"v": 1, "last_name": "hall"}},
                ],
            )
            conn.execute(
                schema.match_keys.insert(),
                [{"key": k, "origin_id": "r1"} for k in [*whole_sorted, "nn:M420|O216"]]
                + [{"key": "nn:H400|S551", "origin_id": "r2"}],
            )

        def keys() -> dict[str, set[str]]:
            with engine.connect() as conn:
                rows = conn.execute(sa.select(schema.match_keys)).all()
            found: dict[str, set[str]] = {}
            for key, origin in rows:
                found.setdefault(origin, set()).add(key)
            return found

        upgrade(engine)
        expected = {*transposition_keys("AB123456C"), *transposition_keys("X12"), "nn:M420|O216"}
        assert keys() == {"r1": expected, "r2": {"nn:H400|S551"}}
        command.downgrade(alembic_config(engine), "0014")
        assert keys() == {"r1": {*whole_sorted, "nn:M420|O216"}, "r2": {"nn:H400|S551"}}
    finally:
        _empty(engine)
        upgrade(engine)
