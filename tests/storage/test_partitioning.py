"""The memory split by customer (``warmline.storage.partitioning``, driven by
``benchmarks/partitioning.py``): every table has a place, every key of a partitioned table
holds its partition column, and on PostgreSQL the card's reads and ingest's writes stay in
the one partition of the customer, as ``EXPLAIN`` and the written rows show."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.storage import schema
from warmline.storage.partitioning import (
    citus_statements,
    layouts,
    partitioned_schema,
    relations_in_plan,
    touched,
)

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
PARTITIONS = 4


def test_every_table_has_a_place_and_partitioned_keys_hold_the_partition_column() -> None:
    placed = {layout.table: layout for layout in layouts()}
    assert set(placed) == set(schema.metadata.tables)
    split = partitioned_schema(PARTITIONS)
    for name, layout in placed.items():
        table = split.metadata.tables[name]
        by = table.dialect_options["postgresql"]["partition_by"]
        keys = [
            tuple(c.name for c in constraint.columns)
            for constraint in table.constraints
            if isinstance(constraint, sa.PrimaryKeyConstraint | sa.UniqueConstraint)
            and constraint.columns
        ]
        if layout.kind == "customer":
            assert by == f"HASH ({layout.column})", name
            assert keys and all(key[0] == layout.column for key in keys), (name, keys)
            assert len(split.partitions[name]) == PARTITIONS
        elif layout.kind == "time":
            assert by == f"RANGE ({layout.column})", name
            assert all(layout.column in key for key in keys), (name, keys)
        else:
            assert by is None, name
    # The real schema itself is untouched by building the variant.
    assert [c.name for c in schema.interactions.primary_key.columns] == ["id"]


def test_citus_distributes_customer_tables_colocated_and_copies_reference_tables() -> None:
    split = partitioned_schema(PARTITIONS)
    statements = citus_statements(split)
    assert statements[0] == "SELECT create_distributed_table('customers', 'id')"
    for name, layout in split.layouts.items():
        mentioned = [s for s in statements if f"('{name}'" in s]
        if layout.kind == "customer" and name != "customers":
            assert mentioned == [
                f"SELECT create_distributed_table('{name}', '{layout.column}', "
                "colocate_with => 'customers')"
            ]
        elif layout.kind == "reference":
            assert mentioned == [f"SELECT create_reference_table('{name}')"]
        elif layout.kind in ("global", "time"):
            assert mentioned == [], name


def test_a_table_without_a_customer_or_a_place_is_refused() -> None:
    metadata = sa.MetaData()
    sa.Table("ledger", metadata, sa.Column("id", sa.String(40), primary_key=True))
    with pytest.raises(ValueError, match="'ledger' has no customer_id and no place"):
        layouts(metadata)


def test_a_plan_is_read_as_the_partitions_of_each_table() -> None:
    plan = [
        {
            "Plan": {
                "Node Type": "Append",
                "Plans": [
                    {"Node Type": "Index Scan", "Relation Name": "messages_p1"},
                    {"Node Type": "Index Scan", "Relation Name": "messages_p3"},
                    {"Node Type": "Seq Scan", "Relation Name": "articles"},
                ],
            }
        }
    ]
    parents = {"messages_p1": "messages", "messages_p3": "messages"}
    assert touched(relations_in_plan(plan), parents) == {
        "messages": {"messages_p1", "messages_p3"},
        "articles": set(),
    }


@pytest.fixture
def partitioned_url(postgres_engine: Engine) -> Iterator[str]:
    """A database of its own on the test server (the simulation drops its public schema)."""
    name = "warmline_partitioning"
    admin = postgres_engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    yield postgres_engine.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def test_the_card_and_ingest_stay_in_the_customers_partition(
    partitioned_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    simulation = importlib.import_module("partitioning")
    args = simulation.parse_args(
        [
            "--database-url", partitioned_url, "--partitions", str(PARTITIONS),
            "--customers", "6", "--interactions-per-customer", "2", "--cards", "2",
            "--no-baseline",
        ]
    )  # fmt: skip
    steps = {step.name: step for step in simulation.run(args)["steps"]}

    # Finding a customer by phone reads every partition of identifiers: the plans are read
    # for real, and a read that is not pinned to one customer shows as such.
    (found,) = steps["find by phone"].statements
    assert found.spread() == {"identifiers": PARTITIONS}

    card = steps["card"].statements
    reads = [s for s in card if s.spread()]
    # The customer, interactions, the contact now, cases, promises, activities, moment
    # activities, verifications, recent messages and a continuity interaction's messages.
    assert len(reads) >= 9, [s.label() for s in card]
    crossing = [s for s in reads if not s.one_partition]
    # The one card read that spans partitions: open merge suggestions name two customers
    # (docs/scale.md says how that read is served past one machine).
    assert [sorted(s.tables) for s in crossing] == [["customers", "merge_suggestions"]]
    for statement in reads:
        if statement not in crossing:
            assert set(statement.spread().values()) == {1}, statement.sql
    assert any(s.verb == "INSERT" and "audit_log" in s.tables for s in card)

    new = steps["ingest a new customer"].written
    assert {"customers", "identifiers", "interactions", "messages", "raw_events"} <= set(new)
    known = steps["ingest a known customer's interaction"].written
    assert {"interactions", "messages", "raw_events"} <= set(known)
    for written in (new, known):
        assert {name: len(parts) for name, parts in written.items()} == dict.fromkeys(written, 1)
        # Colocated: the customer's rows are in the partition of the same number everywhere.
        suffixes = {part.rsplit("_", 1)[1] for parts in written.values() for part in parts}
        assert len(suffixes) == 1, written
