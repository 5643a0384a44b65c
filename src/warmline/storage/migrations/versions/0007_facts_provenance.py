"""facts: how each value came to be known; identifiers: when confirmed; form links

Facts gain their kind (customer, record, inferred), whether the source vouched for them,
a confidence and who recorded them; existing facts are from systems of record.
Identifiers gain when the customer last confirmed them. ``form_links`` holds the signed
links customers confirm pre-filled forms through.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 13:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Id = sa.String(40).with_variant(sa.String(40, collation="C"), "postgresql")


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("facts") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="record"))
        batch.add_column(
            sa.Column("verified", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("confidence", sa.Float, nullable=True))
        batch.add_column(sa.Column("recorded_by", sa.String(200), nullable=True))
    with op.batch_alter_table("identifiers") as batch:
        batch.add_column(_at("confirmed_at", nullable=True))
    op.create_table(
        "form_links",
        sa.Column("id", Id, nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("form", sa.String(64), nullable=False),
        sa.Column("verification", sa.String(16), nullable=False),
        sa.Column("interaction_id", Id, nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        _at("created_at"),
        _at("expires_at"),
        _at("used_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_form_links"),
    )
    op.create_index(
        "ix_form_links_customer_id_created_at",
        "form_links",
        ["customer_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_form_links_customer_id_created_at", table_name="form_links")
    op.drop_table("form_links")
    with op.batch_alter_table("identifiers") as batch:
        batch.drop_column("confirmed_at")
    with op.batch_alter_table("facts") as batch:
        batch.drop_column("recorded_by")
        batch.drop_column("confidence")
        batch.drop_column("verified")
        batch.drop_column("kind")
