"""identity resolution: record origins, merges, suggestions, the match index, verify rights

Every row an event creates now remembers the customer record it was first recorded on
(``origin_id``), so a merge can be undone exactly; merges and merge suggestions are
recorded; the match index (profiles and blocking keys) and trained match models get
tables; keys say whether they may claim identifiers were verified.

Existing rows get ``origin_id = customer_id``. The match index starts empty: run
``warmline rebuild`` (or ``warmline identity reindex``) once to fill it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 15:10:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.String(length=40).with_variant(sa.String(length=40, collation="C"), "postgresql")
JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
At = sa.DateTime(timezone=True)

ORIGIN_TABLES = (
    "identifiers",
    "interactions",
    "cases",
    "commitments",
    "activities",
    "facts",
    "assurances",
    "feedback",
)


def upgrade() -> None:
    for table in ORIGIN_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("origin_id", Id, nullable=True))
        op.execute(sa.text(f"UPDATE {table} SET origin_id = customer_id"))  # noqa: S608
        with op.batch_alter_table(table) as batch:
            batch.alter_column("origin_id", existing_type=Id, nullable=False)

    with op.batch_alter_table("identifiers") as batch:
        batch.drop_constraint("uq_identifiers_customer_id_kind_value", type_="unique")
        batch.create_unique_constraint(
            "uq_identifiers_origin_id_kind_value", ["origin_id", "kind", "value"]
        )
        batch.create_index("ix_identifiers_customer_id", ["customer_id"], unique=False)

    with op.batch_alter_table("facts") as batch:
        batch.add_column(
            sa.Column("sensitive", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    _backfill_sensitive_facts()

    with op.batch_alter_table("customers") as batch:
        batch.create_index("ix_customers_merged_into", ["merged_into"], unique=False)

    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(
            sa.Column("may_verify", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # Keys that could claim verification before keep that right; new keys must be given it.
    op.execute(
        sa.text("UPDATE api_keys SET may_verify = true WHERE role IN ('integrator', 'admin')")
    )

    op.create_table(
        "merges",
        sa.Column("id", Id, nullable=False),
        sa.Column("from_id", Id, nullable=False),
        sa.Column("into_id", Id, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("evidence", JSONType, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("suggestion_id", Id, nullable=True),
        sa.Column("made_at", At, nullable=False),
        sa.Column("undone_at", At, nullable=True),
        sa.Column("undone_by", sa.String(length=200), nullable=True),
        sa.Column("undo_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merges")),
    )
    with op.batch_alter_table("merges") as batch:
        batch.create_index("ix_merges_from_id", ["from_id"], unique=False)
        batch.create_index("ix_merges_into_id", ["into_id"], unique=False)
        batch.create_index("ix_merges_status_made_at", ["status", "made_at"], unique=False)

    op.create_table(
        "merge_suggestions",
        sa.Column("id", Id, nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("candidate_id", Id, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("evidence", JSONType, nullable=False),
        sa.Column("reasons", JSONType, nullable=False),
        sa.Column("created_at", At, nullable=False),
        sa.Column("customer_answer", sa.String(length=8), nullable=True),
        sa.Column("answered_by", sa.String(length=200), nullable=True),
        sa.Column("answered_at", At, nullable=True),
        sa.Column("decided_at", At, nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("merge_id", Id, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_suggestions")),
    )
    with op.batch_alter_table("merge_suggestions") as batch:
        batch.create_index(
            "ix_merge_suggestions_status_created_at", ["status", "created_at"], unique=False
        )
        batch.create_index("ix_merge_suggestions_customer_id", ["customer_id"], unique=False)
        batch.create_index("ix_merge_suggestions_candidate_id", ["candidate_id"], unique=False)

    op.create_table(
        "match_profiles",
        sa.Column("origin_id", Id, nullable=False),
        sa.Column("inputs", JSONType, nullable=False),
        sa.Column("record", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("origin_id", name=op.f("pk_match_profiles")),
    )
    op.create_table(
        "match_keys",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("origin_id", Id, nullable=False),
        sa.PrimaryKeyConstraint("key", "origin_id", name=op.f("pk_match_keys")),
    )
    with op.batch_alter_table("match_keys") as batch:
        batch.create_index("ix_match_keys_origin_id", ["origin_id"], unique=False)
    op.create_table(
        "match_models",
        sa.Column("id", Id, nullable=False),
        sa.Column("trained_at", At, nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("pairs", sa.Integer(), nullable=False),
        sa.Column("model", JSONType, nullable=False),
        sa.Column("thresholds", JSONType, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("trained_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_models")),
    )


def _backfill_sensitive_facts() -> None:
    """A trait a source marked sensitive kept the flag in ``customers.traits`` only; carry
    it to the facts behind it, which are now where traits are recomputed from."""
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, traits FROM customers")).all()
    for customer_id, traits in rows:
        parsed = json.loads(traits) if isinstance(traits, str) else (traits or {})
        for key, entry in parsed.items():
            if isinstance(entry, dict) and entry.get("sensitive"):
                conn.execute(
                    sa.text(
                        "UPDATE facts SET sensitive = true WHERE customer_id = :c AND key = :k"
                    ),
                    {"c": customer_id, "k": key},
                )


def downgrade() -> None:
    for table in ("match_models", "match_keys", "match_profiles", "merge_suggestions", "merges"):
        op.drop_table(table)
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("may_verify")
    with op.batch_alter_table("customers") as batch:
        batch.drop_index("ix_customers_merged_into")
    with op.batch_alter_table("facts") as batch:
        batch.drop_column("sensitive")
    with op.batch_alter_table("identifiers") as batch:
        batch.drop_index("ix_identifiers_customer_id")
        batch.drop_constraint("uq_identifiers_origin_id_kind_value", type_="unique")
        batch.create_unique_constraint(
            "uq_identifiers_customer_id_kind_value", ["customer_id", "kind", "value"]
        )
    for table in ORIGIN_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("origin_id")
