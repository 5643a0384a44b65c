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
