"""insight: per-message sentiment and emotions, interaction mood and likely reason, and
the organisation's own reason models

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.String(length=40).with_variant(sa.String(length=40, collation="C"), "postgresql")
JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("insight", JSONType, nullable=True))
        batch.drop_index("ix_messages_customer_id")
        batch.create_index("ix_messages_customer_id_sent_at", ["customer_id", "sent_at"])
    with op.batch_alter_table("interactions") as batch:
        batch.add_column(sa.Column("mood", JSONType, nullable=True))
        batch.add_column(sa.Column("predicted_reason", JSONType, nullable=True))
    op.create_table(
        "insight_models",
        sa.Column("id", Id, nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("report", JSONType, nullable=False),
        sa.Column("model", sa.LargeBinary(), nullable=False),
        sa.Column("associations", sa.Text(), nullable=False),
        sa.Column("population", JSONType, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("trained_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_models")),
    )


def downgrade() -> None:
    op.drop_table("insight_models")
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("predicted_reason")
        batch.drop_column("mood")
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_customer_id_sent_at")
        batch.create_index("ix_messages_customer_id", ["customer_id"])
        batch.drop_column("insight")
