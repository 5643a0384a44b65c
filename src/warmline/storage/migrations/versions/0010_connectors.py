"""connectors: webhook connectors and their gaps, embed links, private notes, attachments

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 12:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
Id = sa.String(40).with_variant(sa.String(40, collation="C"), "postgresql")


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    # Adding a column with a constant default is instant on PostgreSQL 11+ and SQLite.
    op.add_column(
        "messages",
        sa.Column("private", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("messages", sa.Column("attachments", JSONType))
    op.create_table(
        "connectors",
        sa.Column("id", Id, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("options", JSONType, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        _at("created_at"),
        _at("revoked_at", nullable=True),
        _at("last_delivery_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_connectors"),
        sa.UniqueConstraint("secret_hash", name="uq_connectors_secret_hash"),
        sa.UniqueConstraint("kind", "account", name="uq_connectors_kind_account"),
    )
    op.create_table(
        "embed_links",
        sa.Column("id", Id, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("interaction_id", Id),
        sa.Column("key_id", sa.String(40), nullable=False),
        sa.Column("issued_by", sa.String(200), nullable=False),
        _at("issued_at"),
        _at("expires_at"),
        _at("used_at", nullable=True),
        sa.Column("session_hash", sa.String(64)),
        _at("session_expires_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_embed_links"),
        sa.UniqueConstraint("token_hash", name="uq_embed_links_token_hash"),
        sa.UniqueConstraint("session_hash", name="uq_embed_links_session_hash"),
    )
    op.create_index("ix_embed_links_customer_id", "embed_links", ["customer_id"])
    op.create_table(
        "connector_gaps",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("connector_id", Id, nullable=False),
        _at("received_at"),
        sa.Column("event", sa.String(60), nullable=False),
        sa.Column("event_id", sa.String(200)),
        sa.Column("field", sa.String(200), nullable=False),
        sa.Column("code", sa.String(60), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_connector_gaps"),
    )
    op.create_index(
        "ix_connector_gaps_connector_id_received_at",
        "connector_gaps",
        ["connector_id", "received_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_connector_gaps_connector_id_received_at", "connector_gaps")
    op.drop_table("connector_gaps")
    op.drop_index("ix_embed_links_customer_id", "embed_links")
    op.drop_table("embed_links")
    op.drop_table("connectors")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("attachments")
        batch.drop_column("private")
