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


def test_every_customer_table_carries_customer_id() -> None:
    for table in schema.PROJECTIONS:
        assert "customer_id" in table.c or table is schema.customers, table.name
