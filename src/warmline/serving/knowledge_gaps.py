"""The questions no article answers, for the supervisors' page and the API: the memory's
first customer messages, each searched against the articles, grouped by meaning."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Connection

from warmline.domain.knowledge.gaps import Question, find_gaps
from warmline.domain.knowledge.search import search
from warmline.domain.labels import humanise
from warmline.models.word_vectors import sentence_vectors
from warmline.serving.knowledge import knowledge_index
from warmline.storage import knowledge_queries as kq

#: The most questions one look reads (the latest ones).
MAX_QUESTIONS = 5000


def knowledge_gaps(
    conn: Connection, *, days: int = 30, limit: int = 10, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Groups of questions from the last ``days`` that no article answers well."""
    now = now or dt.datetime.now(dt.UTC)
    since = now - dt.timedelta(days=days)
    rows = sorted(kq.questions(conn, since, limit=MAX_QUESTIONS), key=lambda r: r["started_at"])
    if not rows:
        return []
    texts = [r["text"] for r in rows]
    vectors = sentence_vectors(texts)
    index = knowledge_index(conn)
    seen_cases: set[str] = set()
    questions = []
    for row, text, vector in zip(rows, texts, vectors, strict=True):
        hits = search(index, text, vector, limit=1)
        case = row["case_id"]
        repeated = bool(case and case in seen_cases)  # they came back about the same case
        if case:
            seen_cases.add(case)
        predicted = (row["predicted_reason"] or {}).get("label")
        questions.append(
            Question(
                text,
                row["started_at"],
                hits[0].score if hits else 0.0,
                row["outcome"] == "resolved",
                repeated,
                row["reason"] or predicted,
                row["interaction_id"],
                hits[0].dense if hits else 0.0,
            )
        )
    gaps = find_gaps(questions, vectors, since=since, until=now, limit=limit)
    return [
        {
            "questions": g.size,
            "recent": g.recent,
            "earlier": g.earlier,
            "trend": g.trend,
            "resolution_rate": round(g.resolution_rate, 3),
            "best_article_score": round(g.best_score, 3),
            "quotes": g.quotes,
            "resolved_examples": g.resolved_examples,
            "unanswered": round(g.unanswered, 2),
            "novelty": round(g.novelty, 2),
            "interactions": g.members,
            "reasons": [
                {"reason": humanise(r) or r, "label": r, "questions": n}
                for r, n in g.reasons.most_common(3)
            ],
        }
        for g in gaps
    ]
