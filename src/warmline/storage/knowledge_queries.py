"""Reads for knowledge: articles and their versions, what the search index is built from,
agents' feedback, and the questions customers asked (for gap mining)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.storage import schema as t
from warmline.storage.compiled_select import FastSelect

#: Columns of an article that readers see (the vector stays inside).
_SHOWN = (
    "id",
    "slug",
    "title",
    "body",
    "products",
    "channels",
    "owner",
    "review_date",
    "audience",
    "status",
    "version",
    "created_at",
    "updated_at",
    "retired_at",
)


def article(conn: Connection, ref: str) -> dict[str, Any] | None:
    """An article by its id or its slug."""
    a = t.articles
    row = (
        conn.execute(
            sa.select(*(a.c[c] for c in _SHOWN), a.c.content_hash).where(
                sa.or_(a.c.id == ref, a.c.slug == ref)
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def articles(
    conn: Connection, *, status: str | None, limit: int, offset: int = 0
) -> list[dict[str, Any]]:
    """Articles by title (without their bodies), of one status or all."""
    a = t.articles
    query = sa.select(*(a.c[c] for c in _SHOWN if c != "body")).order_by(a.c.title, a.c.id)
    if status:
        query = query.where(a.c.status == status)
    return [dict(r) for r in conn.execute(query.limit(limit).offset(offset)).mappings()]


def versions(conn: Connection, article_id: str) -> list[dict[str, Any]]:
    """Every version of an article, newest first."""
    v = t.article_versions
    query = (
        sa.select(
            v.c.version, v.c.title, v.c.body, v.c.meta, v.c.status, v.c.changed_by, v.c.changed_at
        )
        .where(v.c.article_id == article_id)
        .order_by(v.c.version.desc())
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def index_stamp(conn: Connection) -> tuple[int, dt.datetime | None]:
    """Changes whenever the search index would: how many articles and the latest change
    (feedback is read with each search, so it does not rebuild the index)."""
    a = t.articles
    count, latest = conn.execute(sa.select(sa.func.count(), sa.func.max(a.c.updated_at))).one()
    return int(count), latest


def index_rows(conn: Connection) -> list[dict[str, Any]]:
    """What the search index is built from: every published article, with its vector."""
    a = t.articles
    query = (
        sa.select(
            a.c.id,
            a.c.slug,
            a.c.title,
            a.c.body,
            a.c.products,
            a.c.channels,
            a.c.audience,
            a.c.vector,
            a.c.vector_model,
        )
        .where(a.c.status == "published")
        .order_by(a.c.id)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


_FEEDBACK = FastSelect(
    sa.select(
        t.article_feedback.c.article_id,
        t.article_feedback.c.helped,
        sa.func.count().label("n"),
    )
    .where(t.article_feedback.c.reason == sa.bindparam("reason"))
    .group_by(t.article_feedback.c.article_id, t.article_feedback.c.helped)
)


def feedback_counts(conn: Connection, reason: str) -> list[dict[str, Any]]:
    """``(article_id, helped, n)`` for one reason (read for each card's suggestions)."""
    return _FEEDBACK.all(conn, reason=reason)


def questions(conn: Connection, since: dt.datetime, *, limit: int = 20_000) -> list[dict[str, Any]]:
    """The first customer message of each interaction started since ``since`` (the question
    they came with), with how the contact ended and why."""
    i, m = t.interactions, t.messages
    first = (
        sa.select(m.c.interaction_id, sa.func.min(m.c.sent_at).label("at"))
        .where(m.c.speaker == "customer")
        .group_by(m.c.interaction_id)
        .subquery()
    )
    query = (
        sa.select(
            i.c.id.label("interaction_id"),
            i.c.customer_id,
            i.c.started_at,
            i.c.outcome,
            i.c.reason,
            i.c.predicted_reason,
            i.c.case_id,
            m.c.text,
        )
        .join(first, first.c.interaction_id == i.c.id)
        .join(m, sa.and_(m.c.interaction_id == i.c.id, m.c.sent_at == first.c.at))
        .where(i.c.started_at >= since, m.c.speaker == "customer")
        .order_by(i.c.started_at.desc())
        .limit(limit)
    )
    seen: set[str] = set()
    out = []
    for row in conn.execute(query).mappings():
        if row["interaction_id"] not in seen:  # two first messages at one instant: one
            seen.add(row["interaction_id"])
            out.append(dict(row))
    return out


def conversation(conn: Connection, interaction_id: str) -> list[dict[str, Any]]:
    """An interaction's messages, oldest first (for drafting an article from it)."""
    m = t.messages
    query = (
        sa.select(m.c.speaker, m.c.text, m.c.sent_at, m.c.agent_id)
        .where(m.c.interaction_id == interaction_id)
        .order_by(m.c.sent_at, m.c.id)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def titles(conn: Connection, ids: Sequence[str]) -> dict[str, str]:
    a = t.articles
    return dict(conn.execute(sa.select(a.c.id, a.c.title).where(a.c.id.in_(list(ids)))).all())
