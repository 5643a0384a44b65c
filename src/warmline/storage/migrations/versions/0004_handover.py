"""handover: warm handovers, continuation codes, summaries by Warmline, effort per case

Interactions say who wrote their summary, how many times the customer restated the
problem in them and how they were verified; cases keep their effort counts. Handovers
(with their accept status) and continuation codes (hashed, single use) get tables of
their own, outside the projections, and failed code presentations are kept for the
rate limits.

Existing interactions and cases get their new values on the next ``warmline rebuild``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.String(length=40).with_variant(sa.String(length=40, collation="C"), "postgresql")
JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
At = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("interactions") as batch:
        batch.add_column(sa.Column("summary_by", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("restatements", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("verified_by", sa.String(length=16), nullable=True))
        batch.create_index("ix_interactions_case_id", ["case_id"], unique=False)
    # Summaries sent before this revision came from the source.
    op.execute(sa.text("UPDATE interactions SET summary_by = 'source' WHERE summary IS NOT NULL"))
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("effort", JSONType, nullable=True))

    op.create_table(
        "handovers",
        sa.Column("id", Id, nullable=False),
        sa.Column("interaction_id", Id, nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("origin_id", Id, nullable=False),
        sa.Column("from_agent", sa.String(length=200), nullable=False),
        sa.Column("to_agent", sa.String(length=200), nullable=True),
        sa.Column("to_queue", sa.String(length=200), nullable=True),
        sa.Column("note", JSONType, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", At, nullable=False),
        sa.Column("accepted_at", At, nullable=True),
        sa.Column("accepted_by", sa.String(length=200), nullable=True),
        sa.Column("rewritten_by", sa.String(length=200), nullable=True),
        sa.Column("llm_failure", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handovers")),
    )
    with op.batch_alter_table("handovers") as batch:
        batch.create_index(
            "ix_handovers_interaction_id_status", ["interaction_id", "status"], unique=False
        )
        batch.create_index("ix_handovers_customer_id", ["customer_id"], unique=False)

    op.create_table(
        "continuations",
        sa.Column("id", Id, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("origin_id", Id, nullable=False),
        sa.Column("assurance_id", Id, nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("issued_at", At, nullable=False),
        sa.Column("expires_at", At, nullable=False),
        sa.Column("used_at", At, nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("used_by_interaction", Id, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_continuations")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_continuations_code_hash")),
    )
    with op.batch_alter_table("continuations") as batch:
        batch.create_index(
            "ix_continuations_customer_id_issued_at", ["customer_id", "issued_at"], unique=False
        )

    op.create_table(
        "continuation_attempts",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("at", At, nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("customer_id", Id, nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_continuation_attempts")),
    )
    with op.batch_alter_table("continuation_attempts") as batch:
        batch.create_index(
            "ix_continuation_attempts_key_id_address_at",
            ["key_id", "address", "at"],
            unique=False,
        )
        batch.create_index(
            "ix_continuation_attempts_customer_id_at", ["customer_id", "at"], unique=False
        )


def downgrade() -> None:
    for table in ("continuation_attempts", "continuations", "handovers"):
        op.drop_table(table)
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("effort")
    with op.batch_alter_table("interactions") as batch:
        batch.drop_index("ix_interactions_case_id")
        batch.drop_column("verified_by")
        batch.drop_column("restatements")
        batch.drop_column("summary_by")
