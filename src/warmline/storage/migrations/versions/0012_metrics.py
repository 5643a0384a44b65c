"""metrics: contributions and rollups, customer risk, the outbox

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 12:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
Id = sa.String(40).with_variant(sa.String(40, collation="C"), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DIMENSIONS = ("channel", "team", "reason", "segment", "agent")
# The counters as this revision created them (later revisions add or drop columns).
COUNTERS = (
    "contacts",
    "contacts_ended",
    "contacts_with_reason",
    "first_contacts",
    "first_contacts_resolved",
    "repeat_contacts",
    "resolved_contacts",
    "reopened_contacts",
    "contact_transfers",
    "restated_contacts",
    "mood_read",
    "sentiment_change_milli",
    "ended_frustrated",
    "cases",
    "case_contacts",
    "case_transfers",
    "case_channel_switches",
    "case_reverifications",
    "case_restatements",
    "cases_resolved",
    "ttr_00",
    "ttr_01",
    "ttr_02",
    "ttr_03",
    "ttr_04",
    "ttr_05",
    "ttr_06",
    "ttr_07",
    "ttr_08",
    "ttr_09",
    "ttr_10",
    "ttr_11",
    "ttr_12",
    "ttr_13",
    "csat_responses",
    "csat_satisfied",
    "csat_points",
    "nps_responses",
    "nps_promoters",
    "nps_detractors",
    "ces_responses",
    "ces_points",
    "promises_due",
    "promises_kept_on_time",
    "promises_kept_late",
    "promises_open",
)


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "metric_contributions",
        sa.Column("source_id", Id, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        *[sa.Column(name, sa.String(100), nullable=False) for name in DIMENSIONS],
        sa.Column("counts", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("source_id", name="pk_metric_contributions"),
    )
    op.create_index("ix_metric_contributions_customer_id", "metric_contributions", ["customer_id"])
    op.create_table(
        "metric_rollups",
        sa.Column("grouping", sa.SmallInteger, nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("bucket", sa.Date, nullable=False),
        *[sa.Column(name, sa.String(100), nullable=False) for name in DIMENSIONS],
        sa.Column("sources", sa.BigInteger, nullable=False),
        *[sa.Column(name, sa.BigInteger, nullable=False) for name in COUNTERS],
        sa.PrimaryKeyConstraint(
            "grouping", "period", "bucket", *DIMENSIONS, name="pk_metric_rollups"
        ),
    )
    op.create_table(
        "metric_state",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("window_days", sa.Integer, nullable=False),
        _at("rebuilt_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_metric_state"),
    )
    op.create_table(
        "customer_risk",
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("signals", JSONType, nullable=False),
        _at("computed_at"),
        _at("above_since", nullable=True),
        _at("last_signal_at", nullable=True),
        _at("outreach_at", nullable=True),
        _at("review_at", nullable=True),
        sa.Column("last_words", sa.Text),
        _at("last_words_at", nullable=True),
        sa.Column("owner", sa.String(200)),
        sa.PrimaryKeyConstraint("customer_id", name="pk_customer_risk"),
    )
    op.create_index("ix_customer_risk_score", "customer_risk", ["score"])
    op.create_index("ix_customer_risk_review_at", "customer_risk", ["review_at"])
    op.create_table(
        "outbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("payload", JSONType, nullable=False),
        sa.Column("customer_id", Id),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        _at("created_at"),
        _at("next_attempt_at"),
        _at("delivered_at", nullable=True),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("message_id", name="uq_outbox_message_id"),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_customer_id", "outbox", ["customer_id"])


def downgrade() -> None:
    for table in ("outbox", "customer_risk", "metric_state", "metric_rollups"):
        op.drop_table(table)
    op.drop_index("ix_metric_contributions_customer_id", "metric_contributions")
    op.drop_table("metric_contributions")
