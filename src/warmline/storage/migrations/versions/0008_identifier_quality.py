"""identifiers: how far each value could be normalised

An identifier that fails validation no longer rejects its event: a phone number that is
possible but not valid for its region is kept in E.164 and marked ``not_valid_for_region``,
any other value that does not normalise is kept as written and marked ``unnormalised``.
Identifiers stored before this revision were all normalised (NULL).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("identifiers") as batch:
        batch.add_column(sa.Column("quality", sa.String(24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("identifiers") as batch:
        batch.drop_column("quality")
