"""messages: a refined reading due after ingest

Customer messages whose fast reading (at ingest) was unsure are marked ``refine_due``;
the refinement pass (``warmline insight refine``, and a background thread of ``warmline
serve``) reads them again with the feelings encoder and clears the mark. Messages stored
before this revision keep the reading they have; ``warmline rebuild`` gives them the new
readings.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("refine_due", sa.Boolean(), nullable=True))
        batch.create_index("ix_messages_refine_due_id", ["refine_due", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_refine_due_id")
        batch.drop_column("refine_due")
