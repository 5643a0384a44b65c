"""branch: branches, the queue and visits, appointments, check-in codes, SMS codes

New tables only; nothing existing changes, so the upgrade is safe on a live database.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 12:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
Id = sa.String(40).with_variant(sa.String(40, collation="C"), "postgresql")


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "branches",
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("setup", JSONType, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("code", name="pk_branches"),
    )
    op.create_table(
        "sittings",
        sa.Column("id", Id, nullable=False),
        sa.Column("staff", sa.String(200), nullable=False),
        sa.Column("branch", sa.String(40), nullable=False),
        sa.Column("service_point", sa.String(40), nullable=False),
        _at("started_at"),
        _at("ended_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sittings"),
    )
    op.create_index("ix_sittings_staff_ended_at", "sittings", ["staff", "ended_at"])
    op.create_index("ix_sittings_branch_ended_at", "sittings", ["branch", "ended_at"])
    op.create_table(
        "visits",
        sa.Column("id", Id, nullable=False),
        sa.Column("branch", sa.String(40), nullable=False),
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("ticket", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("customer_id", Id),
        sa.Column("origin_id", Id),
        sa.Column("guest", sa.Boolean, nullable=False),
        sa.Column("guest_phone", sa.String(32)),
        sa.Column("reason", sa.String(200)),
        sa.Column("appointment_id", Id),
        sa.Column("assurance_id", Id),
        sa.Column("verified_by", sa.String(16)),
        sa.Column("checked_in_by", sa.String(200), nullable=False),
        _at("checked_in_at"),
        _at("called_at", nullable=True),
        sa.Column("called_by", sa.String(200)),
        sa.Column("service_point", sa.String(40)),
        sa.Column("interaction_id", Id),
        _at("ended_at", nullable=True),
        sa.Column("outcome", sa.String(16)),
        sa.PrimaryKeyConstraint("id", name="pk_visits"),
        sa.UniqueConstraint("branch", "day", "ticket", name="uq_visits_branch_day_ticket"),
    )
    op.create_index(
        "ix_visits_branch_status_checked_in_at", "visits", ["branch", "status", "checked_in_at"]
    )
    op.create_index("ix_visits_customer_id", "visits", ["customer_id"])
    op.create_index("ix_visits_interaction_id", "visits", ["interaction_id"])
    op.create_table(
        "appointments",
        sa.Column("id", Id, nullable=False),
        sa.Column("ref", sa.String(12), nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("origin_id", Id, nullable=False),
        sa.Column("branch", sa.String(40), nullable=False),
        sa.Column("service", sa.String(40), nullable=False),
        _at("starts_at"),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("staff", sa.String(200)),
        sa.Column("channel", sa.String(16)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("booked_by", sa.String(200), nullable=False),
        _at("booked_at"),
        _at("arrived_at", nullable=True),
        sa.Column("visit_id", Id),
        sa.PrimaryKeyConstraint("id", name="pk_appointments"),
        sa.UniqueConstraint("ref", name="uq_appointments_ref"),
    )
    op.create_index(
        "ix_appointments_branch_status_starts_at",
        "appointments",
        ["branch", "status", "starts_at"],
    )
    op.create_index("ix_appointments_customer_id", "appointments", ["customer_id"])
    op.create_table(
        "checkin_codes",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("customer_id", Id, nullable=False),
        sa.Column("origin_id", Id, nullable=False),
        sa.Column("branch", sa.String(40), nullable=False),
        sa.Column("assurance_id", Id, nullable=False),
        sa.Column("issued_by", sa.String(200), nullable=False),
        _at("issued_at"),
        _at("expires_at"),
        _at("used_at", nullable=True),
        sa.Column("visit_id", Id),
        sa.PrimaryKeyConstraint("id", name="pk_checkin_codes"),
    )
    op.create_index(
        "ix_checkin_codes_customer_id_issued_at", "checkin_codes", ["customer_id", "issued_at"]
    )
    op.create_table(
        "phone_codes",
        sa.Column("id", Id, nullable=False),
        sa.Column("branch", sa.String(40), nullable=False),
        sa.Column("phone_key", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("salt", sa.String(32), nullable=False),
        sa.Column("kiosk", sa.String(200), nullable=False),
        _at("sent_at"),
        _at("expires_at"),
        sa.Column("tries", sa.Integer, nullable=False),
        _at("used_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_phone_codes"),
    )
    op.create_index("ix_phone_codes_phone_key_sent_at", "phone_codes", ["phone_key", "sent_at"])
    op.create_index("ix_phone_codes_kiosk_sent_at", "phone_codes", ["kiosk", "sent_at"])
    op.create_table(
        "signing_keys",
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        _at("created_at"),
        sa.PrimaryKeyConstraint("purpose", name="pk_signing_keys"),
    )


def downgrade() -> None:
    op.drop_table("signing_keys")
    op.drop_index("ix_phone_codes_kiosk_sent_at", "phone_codes")
    op.drop_index("ix_phone_codes_phone_key_sent_at", "phone_codes")
    op.drop_table("phone_codes")
    op.drop_index("ix_checkin_codes_customer_id_issued_at", "checkin_codes")
    op.drop_table("checkin_codes")
    op.drop_index("ix_appointments_customer_id", "appointments")
    op.drop_index("ix_appointments_branch_status_starts_at", "appointments")
    op.drop_table("appointments")
    op.drop_index("ix_visits_interaction_id", "visits")
    op.drop_index("ix_visits_customer_id", "visits")
    op.drop_index("ix_visits_branch_status_checked_in_at", "visits")
    op.drop_table("visits")
    op.drop_index("ix_sittings_branch_ended_at", "sittings")
    op.drop_index("ix_sittings_staff_ended_at", "sittings")
    op.drop_table("sittings")
    op.drop_table("branches")
