"""webhook subscriptions, and deliveries per receiver

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 16:30:00

Outbox events are fanned out to every subscription they match, one delivery row each.
Events already in the outbox keep what happened to them: those still pending wait for the
fan-out (to WARMLINE_WEBHOOK_URL, as before, and to any subscription); those delivered or
dead-lettered for WARMLINE_WEBHOOK_URL become deliveries of the ``configured``
subscription with their attempts and last error, so a dead letter can still be replayed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
Id = sa.String(40).with_variant(sa.String(40, collation="C"), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", Id, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("event_types", JSONType, nullable=False),
        sa.Column("description", sa.String(200)),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("key_fingerprint", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_subscriptions"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("outbox_id", sa.BigInteger, nullable=False),
        sa.Column("subscription_id", Id, nullable=False),
        sa.Column("customer_id", Id),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        _at("created_at"),
        _at("next_attempt_at"),
        _at("delivered_at", nullable=True),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
        sa.UniqueConstraint(
            "outbox_id", "subscription_id", name="uq_webhook_deliveries_outbox_id_subscription_id"
        ),
    )
    op.create_index(
        "ix_webhook_deliveries_status_next_attempt_at",
        "webhook_deliveries",
        ["status", "next_attempt_at"],
    )
    op.create_index(
        "ix_webhook_deliveries_subscription_id_status",
        "webhook_deliveries",
        ["subscription_id", "status"],
    )
    op.create_index("ix_webhook_deliveries_customer_id", "webhook_deliveries", ["customer_id"])
    # What WARMLINE_WEBHOOK_URL already got (or gave up on) becomes its deliveries.
    op.execute(
        "INSERT INTO webhook_deliveries (outbox_id, subscription_id, customer_id, status, "
        "attempts, created_at, next_attempt_at, delivered_at, last_error) "
        "SELECT id, 'configured', customer_id, status, attempts, created_at, next_attempt_at, "
        "delivered_at, last_error FROM outbox WHERE status IN ('delivered', 'dead')"
    )
    op.execute("UPDATE outbox SET status = 'routed' WHERE status IN ('delivered', 'dead')")


def downgrade() -> None:
    op.execute(
        "UPDATE outbox SET status = 'pending' WHERE status = 'routed' AND id NOT IN "
        "(SELECT outbox_id FROM webhook_deliveries WHERE subscription_id = 'configured')"
    )
    op.execute(
        "UPDATE outbox SET status = (SELECT d.status FROM webhook_deliveries d "
        "WHERE d.outbox_id = outbox.id AND d.subscription_id = 'configured') "
        "WHERE status = 'routed'"
    )
    op.drop_index("ix_webhook_deliveries_customer_id", "webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_subscription_id_status", "webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_status_next_attempt_at", "webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_subscriptions")
