"""derived figures due: what a contact's start changed, for the rollups and risk scores

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 19:30:00

A contact's start records what it changed here, in its own transaction, and the rollups
and risk scores are brought up to date from it just after the start commits.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "derived_due",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("touched", JSONType, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_derived_due"),
    )


def downgrade() -> None:
    op.drop_table("derived_due")
