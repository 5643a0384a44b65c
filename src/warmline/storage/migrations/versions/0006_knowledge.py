"""knowledge: articles, their versions, and agents' feedback on suggestions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 12:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
Id = sa.String(40).with_variant(sa.String(40, collation="C"), "postgresql")


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", Id, nullable=False),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("products", JSONType, nullable=False),
        sa.Column("channels", JSONType, nullable=False),
        sa.Column("owner", sa.String(200)),
        sa.Column("review_date", sa.Date),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("vector", sa.LargeBinary),
        sa.Column("vector_model", sa.String(64)),
        _at("created_at"),
        _at("updated_at"),
        _at("retired_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
        sa.UniqueConstraint("slug", name="uq_articles_slug"),
    )
    op.create_index("ix_articles_status_updated_at", "articles", ["status", "updated_at"])
    op.create_table(
        "article_versions",
        sa.Column("id", Id, nullable=False),
        sa.Column("article_id", Id, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("meta", JSONType, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
        _at("changed_at"),
        sa.PrimaryKeyConstraint("id", name="pk_article_versions"),
        sa.UniqueConstraint("article_id", "version", name="uq_article_versions_article_id_version"),
    )
    op.create_table(
        "article_feedback",
        sa.Column("id", Id, nullable=False),
        sa.Column("article_id", Id, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("helped", sa.Boolean, nullable=False),
        sa.Column("interaction_id", Id),
        sa.Column("actor", sa.String(200), nullable=False),
        _at("at"),
        sa.PrimaryKeyConstraint("id", name="pk_article_feedback"),
    )
    op.create_index(
        "ix_article_feedback_reason_article_id", "article_feedback", ["reason", "article_id"]
    )


def downgrade() -> None:
    op.drop_table("article_feedback")
    op.drop_table("article_versions")
    op.drop_index("ix_articles_status_updated_at", "articles")
    op.drop_table("articles")
