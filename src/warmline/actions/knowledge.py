"""Looking after articles: create, change (every version kept), retire, import a folder,
record agents' feedback on suggestions, and draft an article from a conversation.

Every change is audited. An article's embedding is computed when its words change, so
the search index never embeds thousands of articles at start-up.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.engine import Connection, Engine

from warmline.actions.audit import append_chained, audit_row
from warmline.domain.access.roles import LOCAL_ADMIN, Actor
from warmline.domain.knowledge.articles import Article, ArticleError, parse_markdown
from warmline.domain.knowledge.drafts import draft_from_conversation
from warmline.domain.knowledge.search import passages
from warmline.errors import Conflict, Gone, InvalidRequest, NotFound
from warmline.models.word_vectors import EMBEDDING, sentence_vectors
from warmline.storage import knowledge_queries as kq
from warmline.storage import schema as t
from warmline.storage.engine import writing

Embed = Callable[[Sequence[str]], NDArray[np.float32]]
#: The most of an article's body its embedding reads (its opening says what it is about).
EMBED_CHARS = 2000
#: The largest Markdown file an import reads.
MAX_FILE_BYTES = 400_000


@dataclass(frozen=True)
class Saved:
    """What saving an article did: ``added``, ``changed`` or ``unchanged``."""

    article_id: str
    slug: str
    outcome: str
    version: int


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    #: (file, field, what is wrong and what to do)
    errors: list[tuple[str, str, str]] = field(default_factory=list)


#: What ``articles.vector`` holds: rows of float16, the whole article's then each passage's.
VECTOR_MODEL = f"{EMBEDDING}+passages"


def article_vectors(title: str, body: str, embed: Embed = sentence_vectors) -> NDArray[np.float32]:
    """The unit embeddings of an article: its whole (title and opening), then each passage."""
    return embed([f"{title}\n{body[:EMBED_CHARS]}", *passages(body)])


def vector_bytes(article: Article, embed: Embed = sentence_vectors) -> bytes:
    """:func:`article_vectors` as float16 bytes, for ``articles.vector``."""
    return np.asarray(article_vectors(article.title, article.body, embed), np.float16).tobytes()


def save_article(
    engine: Engine,
    actor: Actor,
    article: Article,
    *,
    article_id: str | None = None,
    status: str = "published",
    embed: Embed = sentence_vectors,
    now: dt.datetime | None = None,
) -> Saved:
    """Create ``article`` (by its slug) or change the one it replaces (``article_id``, or the
    one with its slug); a change keeps the version before it. Saving what is already there
    changes nothing."""
    now = now or dt.datetime.now(dt.UTC)
    with writing(engine) as conn, conn.begin():
        existing = kq.article(conn, article_id or article.slug)
        if article_id is not None and existing is None:
            raise NotFound("article_not_found", f"no article '{article_id[:60]}'")
        if existing is not None and existing["status"] == "retired":
            raise Gone("article_retired", "this article was retired; create a new one instead")
        if existing is not None and article_id is not None and existing["slug"] != article.slug:
            clash = kq.article(conn, article.slug)
            if clash is not None:
                raise Conflict(
                    "article_exists",
                    f"another article already has the slug '{article.slug}'",
                    hint="choose another slug",
                )
        digest = article.content_hash()
        if (
            existing is not None
            and existing["content_hash"] == digest
            and existing["status"] == status
        ):
            return Saved(existing["id"], existing["slug"], "unchanged", existing["version"])
        values = {
            "slug": article.slug,
            "title": article.title,
            "body": article.body,
            "products": list(article.products),
            "channels": list(article.channels),
            "owner": article.owner,
            "review_date": article.review_date,
            "audience": article.audience,
            "status": status,
            "content_hash": digest,
            "vector": vector_bytes(article, embed),
            "vector_model": VECTOR_MODEL,
            "updated_at": now,
        }
        if existing is None:
            new_id = "art_" + secrets.token_hex(8)
            conn.execute(t.articles.insert().values(id=new_id, version=1, created_at=now, **values))
            saved = Saved(new_id, article.slug, "added", 1)
        else:
            version = int(existing["version"]) + 1
            conn.execute(
                t.articles.update()
                .where(t.articles.c.id == existing["id"])
                .values(version=version, **values)
            )
            saved = Saved(existing["id"], article.slug, "changed", version)
        _record_version(conn, saved, article, status, actor, now)
        action = "article.created" if saved.outcome == "added" else "article.changed"
        detail = {"article_id": saved.article_id, "slug": saved.slug, "version": saved.version}
        append_chained(conn, [audit_row(actor, action, None, detail)])
    return saved


def _record_version(
    conn: Connection, saved: Saved, article: Article, status: str, actor: Actor, now: dt.datetime
) -> None:
    conn.execute(
        t.article_versions.insert().values(
            id="arv_" + secrets.token_hex(8),
            article_id=saved.article_id,
            version=saved.version,
            title=article.title,
            body=article.body,
            meta={**article.meta(), "slug": article.slug},
            status=status,
            changed_by=actor.key_id,
            changed_at=now,
        )
    )


def retire_article(
    engine: Engine, actor: Actor, ref: str, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Take an article out of search and suggestions; its versions stay."""
    now = now or dt.datetime.now(dt.UTC)
    with writing(engine) as conn, conn.begin():
        found = kq.article(conn, ref)
        if found is None:
            raise NotFound("article_not_found", f"no article '{ref[:60]}'")
        if found["status"] == "retired":
            raise Gone("article_retired", "this article was retired already")
        version = int(found["version"]) + 1
        conn.execute(
            t.articles.update()
            .where(t.articles.c.id == found["id"])
            .values(status="retired", retired_at=now, updated_at=now, version=version)
        )
        article = Article(found["slug"], found["title"], found["body"])
        saved = Saved(found["id"], found["slug"], "retired", version)
        _record_version(conn, saved, article, "retired", actor, now)
        detail = {"article_id": found["id"], "slug": found["slug"], "version": version}
        append_chained(conn, [audit_row(actor, "article.retired", None, detail)])
        retired = kq.article(conn, found["id"])
    assert retired is not None
    return retired


def import_folder(
    engine: Engine,
    folder: Path,
    *,
    actor: Actor = LOCAL_ADMIN,
    embed: Embed = sentence_vectors,
) -> ImportReport:
    """Import every ``*.md`` under ``folder`` (each file's slug defaults to its name);
    running it again changes only what changed. A file with problems is reported and
    skipped, the others are imported."""
    if not folder.is_dir():
        raise InvalidRequest(
            "not_a_folder", f"{folder} is not a folder", hint="give the folder of .md files"
        )
    report = ImportReport()
    seen: dict[str, Path] = {}
    for path in sorted(folder.rglob("*.md")):
        where = str(path.relative_to(folder))
        if path.stat().st_size > MAX_FILE_BYTES:
            report.errors.append((where, "file", f"is over {MAX_FILE_BYTES:,} bytes: split it"))
            continue
        try:
            article = parse_markdown(path.read_text(encoding="utf-8"), default_slug=path.stem)
        except UnicodeDecodeError:
            report.errors.append((where, "file", "is not UTF-8 text: save it as UTF-8"))
            continue
        except ArticleError as exc:
            report.errors.extend((where, place, what) for place, what in exc.problems)
            continue
        if article.slug in seen:
            report.errors.append(
                (
                    where,
                    "slug",
                    f"'{article.slug}' is also {seen[article.slug].name}'s: "
                    "give one of them another slug",
                )
            )
            continue
        seen[article.slug] = path
        try:
            saved = save_article(engine, actor, article, embed=embed)
        except (Gone, Conflict) as exc:
            report.errors.append((where, "slug", exc.message))
            continue
        getattr(report, saved.outcome).append(saved.slug)
    return report


def record_feedback(
    engine: Engine,
    actor: Actor,
    ref: str,
    *,
    reason: str,
    helped: bool,
    interaction_id: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """An agent says whether an article suggested for ``reason`` helped."""
    now = now or dt.datetime.now(dt.UTC)
    with writing(engine) as conn, conn.begin():
        found = kq.article(conn, ref)
        if found is None:
            raise NotFound("article_not_found", f"no article '{ref[:60]}'")
        if found["status"] == "retired":
            raise Gone(
                "article_retired",
                "this article was retired: feedback on it would move nothing",
                hint="search again for the article that replaced it",
            )
        row = {
            "id": "afb_" + secrets.token_hex(8),
            "article_id": found["id"],
            "reason": reason,
            "helped": helped,
            "interaction_id": interaction_id,
            "actor": actor.key_id,
            "at": now,
        }
        conn.execute(t.article_feedback.insert().values(row))
        detail = {"article_id": found["id"], "reason": reason, "helped": helped}
        append_chained(conn, [audit_row(actor, "article.feedback", None, detail)])
    return row


def draft_article(
    engine: Engine,
    actor: Actor,
    interaction_id: str,
    *,
    embed: Embed = sentence_vectors,
    now: dt.datetime | None = None,
) -> Saved:
    """A draft article from the agent's answers in a resolved conversation, owned by
    ``actor``; never suggested until someone publishes it."""
    with engine.connect() as conn:
        i = t.interactions
        found = (
            conn.execute(
                sa.select(i.c.id, i.c.external_id, i.c.outcome, i.c.reason, i.c.status).where(
                    sa.or_(i.c.id == interaction_id, i.c.external_id == interaction_id)
                )
            )
            .mappings()
            .first()
        )
        if found is None:
            raise NotFound("interaction_not_found", f"no interaction '{interaction_id[:60]}'")
        if found["outcome"] != "resolved":
            raise Conflict(
                "interaction_not_resolved",
                "only a conversation that solved the problem makes a draft",
                hint="pick an interaction that ended resolved",
            )
        turns = kq.conversation(conn, found["id"])
    article = draft_from_conversation(
        turns, reason=found["reason"], owner=actor.name, interaction=found["external_id"]
    )
    return save_article(engine, actor, article, status="draft", embed=embed, now=now)
