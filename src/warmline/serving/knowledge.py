"""Searching articles from either surface: the index kept in memory, rebuilt when the
articles or their feedback change, and the suggestions a card shows.

The index (:class:`~warmline.domain.knowledge.search.KnowledgeIndex`) is built from the
stored articles and their stored embeddings, so a restart reads them and embeds nothing.
Whether it is current is checked at most every :data:`RECHECK_SECONDS`. From
:data:`~warmline.domain.knowledge.search.ANN_FROM` articles it is given an approximate
nearest-neighbour index (:class:`~warmline.models.nearest.VectorIndex`), kept from one
build to the next and told only what changed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.engine import Connection, Engine

from warmline.actions.knowledge import VECTOR_MODEL, article_vectors
from warmline.domain.knowledge.search import (
    ANN_FROM,
    Document,
    Filters,
    Hit,
    KnowledgeIndex,
    feedback_by_article,
    search,
)
from warmline.models.nearest import VectorIndex
from warmline.models.word_vectors import DIMENSIONS, sentence_vectors
from warmline.storage import knowledge_queries as kq

logger = logging.getLogger(__name__)

RECHECK_SECONDS = 5.0
#: Articles a card suggests.
CARD_SUGGESTIONS = 3
#: Below this fused score an article is not worth an agent's glance on the card.
CARD_MIN_SCORE = 0.25


@dataclass
class _Cached:
    where: str
    stamp: tuple[Any, ...]
    checked: float
    index: KnowledgeIndex
    nearest: VectorIndex | None


_cache: _Cached | None = None
_lock = threading.Lock()


_refreshing: set[str] = set()
_refreshing_lock = threading.Lock()


def knowledge_index(conn: Connection) -> KnowledgeIndex:
    """The index of published articles as they are now (within a few seconds). A large
    index (from :data:`ANN_FROM` articles) is rebuilt in the background after a change,
    searches using the one before until it is ready; a small one is rebuilt at once."""
    now, where = time.monotonic(), str(conn.engine.url)
    cached = _cache
    if cached is not None and cached.where == where and now - cached.checked < RECHECK_SECONDS:
        return cached.index
    stamp = kq.index_stamp(conn)
    if cached is not None and cached.where == where:
        if cached.stamp == stamp:
            cached.checked = now
            return cached.index
        if len(cached.index.documents) >= ANN_FROM:
            _refresh_later(conn.engine, where)
            cached.checked = now
            return cached.index
    return _rebuild(conn, where, stamp)


def _rebuild(conn: Connection, where: str, stamp: tuple[Any, ...]) -> KnowledgeIndex:
    global _cache  # one index per process, like the models
    with _lock:
        cached = _cache
        if cached is not None and cached.where == where and cached.stamp == stamp:
            return cached.index  # another request built it while this one waited
        kept = cached.nearest if cached is not None and cached.where == where else None
        index, nearest = _build(conn, kept)
        _cache = _Cached(where, stamp, time.monotonic(), index, nearest)
    return index


def _refresh_later(engine: Engine, where: str) -> None:
    """Rebuild the index for ``where`` on a thread of its own (one at a time)."""
    with _refreshing_lock:
        if where in _refreshing:
            return
        _refreshing.add(where)

    def refresh() -> None:
        try:
            with engine.connect() as conn:
                _rebuild(conn, where, kq.index_stamp(conn))
        except Exception:
            logger.exception("rebuilding the knowledge index failed; the last one is kept")
        finally:
            with _refreshing_lock:
                _refreshing.discard(where)

    threading.Thread(target=refresh, name="knowledge-index", daemon=True).start()


def _build(
    conn: Connection, nearest: VectorIndex | None = None
) -> tuple[KnowledgeIndex, VectorIndex | None]:
    """The index of the published articles; ``nearest`` (the last build's approximate index)
    is brought up to date rather than built again."""
    rows = kq.index_rows(conn)
    documents = [
        Document(
            r["id"],
            r["slug"],
            r["title"],
            r["body"],
            frozenset(r["products"] or ()),
            frozenset(r["channels"] or ()),
            r["audience"],
        )
        for r in rows
    ]
    vectors = np.zeros((len(rows), DIMENSIONS), dtype=np.float32)
    passage_vectors = []
    for i, r in enumerate(rows):
        if r["vector"] is not None and r["vector_model"] == VECTOR_MODEL:
            raw = np.frombuffer(r["vector"], dtype=np.float16).reshape(-1, DIMENSIONS)
            stored = raw.astype(np.float32)
        else:  # stored with another embedding (an upgrade): read again
            stored = article_vectors(r["title"], r["body"])
        vectors[i] = stored[0]
        passage_vectors.append(stored[1:])
    if len(rows) < ANN_FROM:
        return KnowledgeIndex.build(documents, vectors, passage_vectors), None
    nearest = nearest or VectorIndex()
    keys = nearest.sync([d.article_id for d in documents], vectors)
    index = KnowledgeIndex.build(documents, vectors, passage_vectors, nearest=nearest, keys=keys)
    return index, nearest


def find_articles(
    conn: Connection,
    query: str,
    *,
    filters: Filters | None = None,
    reason: str | None = None,
    limit: int = 10,
) -> list[Hit]:
    """The best articles for ``query``; feedback for ``reason`` moves them."""
    index = knowledge_index(conn)
    if not index.documents:  # nothing published: no query to embed, no feedback to read
        return []
    vector = sentence_vectors([query[:2000]])[0]
    feedback = feedback_by_article(kq.feedback_counts(conn, reason)) if reason else None
    return search(
        index, query, vector, filters=filters or Filters(), feedback=feedback, limit=limit
    )


def hit_json(hit: Hit) -> dict[str, Any]:
    d = hit.document
    return {
        "id": d.article_id,
        "slug": d.slug,
        "title": d.title,
        "snippet": d.body[:200],
        "audience": d.audience,
        "score": hit.score,
        "lexical": hit.lexical,
        "semantic": hit.dense,
        "why": list(hit.why),
    }


def card_suggestions(conn: Connection, card: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Articles for what the card says the customer is probably about, and their own words
    in the contact happening now; each says why, and for which reason it was suggested."""
    reasons = card.get("likely_reasons") or []
    now = card.get("now") or {}
    said = " ".join(
        m["text"] for m in (now.get("messages") or []) if m.get("speaker") == "customer"
    )[:2000]
    top = reasons[0] if reasons else None
    query = " ".join(part for part in (said, top["reason"] if top else "") if part)
    if not query.strip():
        return []
    channel = now.get("channel")
    hits = find_articles(
        conn,
        query,
        filters=Filters(channel=channel),
        reason=top["label"] if top else None,
        limit=CARD_SUGGESTIONS,
    )
    out = []
    for hit in hits:
        if hit.score < CARD_MIN_SCORE:
            continue
        found = hit_json(hit)
        found["reason"] = top["label"] if top else None
        found["for"] = f"for {top['reason']}" if top else "for their words"
        out.append(found)
    return out
