"""Knowledge benchmark: Banking77 as a FAQ, searched by Warmline, by ``bm25s`` and by the
database's own full-text ranking in the same run; ranked search at scale; gap mining.

* **Quality.** For each of Banking77's 77 intents the benchmark writes an article from 20
  of its train utterances (title: the intent in words); the test split's 3,080 utterances
  are the queries. Top-1, top-5 and MRR of Warmline's hybrid search (BM25 over stems and
  wordllama sentence vectors, fused), of ``bm25s`` (BM25 with the same stemmer and English
  stop words) and of SQLite FTS5's ``bm25`` ranking (every query word OR-ed). The fusion
  weights are chosen here on train utterances that are not in the articles (printed; the
  product's constants are set from it), never on test.
* **Scale.** The 77 articles plus synthetic ones to ``--articles`` (100,000 by default:
  each mixes the words and utterances of random intents), stored through the schema,
  then p50/p99 of ranked search through the product's path (``find_articles``, the query
  embedded, the index current) against SQLite FTS5 ``ORDER BY rank`` on the same
  articles; PostgreSQL ``ts_rank`` too when ``--postgres-url`` is given.
* **Gap mining.** A memory of 3,080 chats whose first line is a test utterance (85 %
  resolved), with the articles of ``--removed`` intents taken out: how many of those
  intents are the main intent of one of the top 10 groups ``knowledge_gaps`` finds (goal:
  all of them).

Ends with one JSON line. Data is read from ``../shared/data`` and never copied.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import sqlalchemy as sa
import Stemmer
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from insight_data import banking77
from warmline.actions.knowledge import VECTOR_MODEL, article_vectors, vector_bytes
from warmline.domain.knowledge import search as ks
from warmline.domain.knowledge.articles import Article
from warmline.domain.knowledge.search import Document, KnowledgeIndex, search
from warmline.domain.labels import humanise
from warmline.models.word_vectors import sentence_vectors
from warmline.serving.knowledge import find_articles, knowledge_index
from warmline.serving.knowledge_gaps import knowledge_gaps
from warmline.storage import schema as t
from warmline.storage.engine import make_engine
from warmline.storage.migrate import upgrade

PER_ARTICLE = 20
PARTS = {
    "ann": "search, approximate (no embedding)",
    "exact": "baseline: the same search, exact",
    "embed": "of which: the query embedded",
    "lexical": "of which: words' top 100, as the product reads them",
    "lexical_exact": "baseline: words' top 100, every posting",
}
SEED = 20261206
console = Console(width=140)


def faq(train: list[str], labels: list[str]) -> tuple[list[Article], dict[str, list[str]]]:
    """One article per intent from 20 train utterances; the rest of train, for tuning."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, label in zip(train, labels, strict=True):
        by_intent[label].append(text)
    rng = random.Random(SEED)
    articles, held = [], {}
    for intent in sorted(by_intent):
        texts = by_intent[intent][:]
        rng.shuffle(texts)
        body = "\n".join(f"- {line}" for line in texts[:PER_ARTICLE])
        title = (humanise(intent) or intent).capitalize()
        articles.append(Article(intent.replace("_", "-"), title, body))
        held[intent] = texts[PER_ARTICLE:]
    return articles, held


def ranks_of(found: list[list[str]], truth: list[str]) -> dict[str, float]:
    top1 = sum(f[:1] == [t] for f, t in zip(found, truth, strict=True)) / len(truth)
    top5 = sum(t in f[:5] for f, t in zip(found, truth, strict=True)) / len(truth)
    mrr = sum(1 / (f.index(t) + 1) if t in f else 0.0 for f, t in zip(found, truth, strict=True))
    return {"top1": round(top1, 4), "top5": round(top5, 4), "mrr": round(mrr / len(truth), 4)}


def index_of(articles: list[Article]) -> KnowledgeIndex:
    """The index the product builds, from the vectors the product stores."""
    documents = [Document(a.slug, a.slug, a.title, a.body) for a in articles]
    stored = [article_vectors(a.title, a.body) for a in articles]
    return KnowledgeIndex.build(
        documents, np.stack([v[0] for v in stored]), [v[1:] for v in stored]
    )


def ours(index: KnowledgeIndex, queries: list[str]) -> list[list[str]]:
    vectors = sentence_vectors(queries)
    return [
        [h.document.slug for h in search(index, q, v, limit=5)]
        for q, v in zip(queries, vectors, strict=True)
    ]


def tune(index: KnowledgeIndex, held: dict[str, list[str]]) -> tuple[float, dict[str, Any]]:
    """The lexical weight (the dense one is 1 minus it) best on held-out train utterances."""
    rng = random.Random(SEED + 1)
    pairs = [(q, intent.replace("_", "-")) for intent, qs in held.items() for q in qs]
    rng.shuffle(pairs)
    pairs = pairs[:2000]
    queries, truth = [q for q, _ in pairs], [s for _, s in pairs]
    results = {}
    for weight in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        ks.LEXICAL_WEIGHT, ks.DENSE_WEIGHT = weight, 1 - weight
        results[weight] = ranks_of(ours(index, queries), truth)
    best = max(results, key=lambda w: (results[w]["top1"], results[w]["mrr"]))
    return best, results


def with_bm25s(articles: list[Article], queries: list[str]) -> list[list[str]]:
    stemmer = Stemmer.Stemmer("english")
    corpus = [f"{a.title}\n{a.body}" for a in articles]
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer, show_progress=False),
        show_progress=False,
    )
    tokens = bm25s.tokenize(queries, stopwords="en", stemmer=stemmer, show_progress=False)
    found, _ = retriever.retrieve(tokens, k=5, show_progress=False)
    return [[articles[int(i)].slug for i in row] for row in found]


def fts_query(text: str) -> str:
    words = [w for w in re.findall(r"[^\W_]+", text.lower()) if len(w) > 1]
    return " OR ".join(f'"{w}"' for w in words[:30]) or '""'


def sqlite_fts(conn: Any, articles: list[Article] | None = None) -> None:
    conn.exec_driver_sql("DROP TABLE IF EXISTS bench_fts")
    conn.exec_driver_sql(
        "CREATE VIRTUAL TABLE bench_fts USING fts5(slug UNINDEXED, title, body, tokenize='porter')"
    )
    if articles is not None:
        conn.execute(
            sa.text("INSERT INTO bench_fts(slug, title, body) VALUES (:slug, :title, :body)"),
            [{"slug": a.slug, "title": a.title, "body": a.body} for a in articles],
        )
    else:
        conn.exec_driver_sql(
            "INSERT INTO bench_fts(slug, title, body) SELECT slug, title, body FROM articles"
        )


def with_sqlite_fts(conn: Any, queries: list[str]) -> tuple[list[list[str]], list[float]]:
    found, times = [], []
    statement = sa.text("SELECT slug FROM bench_fts WHERE bench_fts MATCH :q ORDER BY rank LIMIT 5")
    for q in queries:
        begin = time.perf_counter()
        rows = conn.execute(statement, {"q": fts_query(q)}).scalars().all()
        times.append(time.perf_counter() - begin)
        found.append(list(rows))
    return found, times


def with_postgres_fts(conn: Any, queries: list[str]) -> list[float]:
    conn.exec_driver_sql(
        "ALTER TABLE articles ADD COLUMN IF NOT EXISTS tsv tsvector GENERATED ALWAYS AS "
        "(to_tsvector('english', title || ' ' || body)) STORED"
    )
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS bench_tsv ON articles USING gin (tsv)")
    statement = sa.text(
        "SELECT slug FROM articles, to_tsquery('english', :q) query WHERE tsv @@ query "
        "ORDER BY ts_rank(tsv, query) DESC LIMIT 5"
    )
    times = []
    for q in queries:
        words = [w for w in re.findall(r"[a-z]+", q.lower()) if len(w) > 1][:30]
        begin = time.perf_counter()
        conn.execute(statement, {"q": " | ".join(words) or "x"}).scalars().all()
        times.append(time.perf_counter() - begin)
    return times


def synthetic(articles: list[Article], train: list[str], n: int) -> list[Article]:
    """``n`` articles in the words of the real ones: each mixes utterances of random intents."""
    rng = random.Random(SEED + 2)
    out = list(articles)
    for i in range(n - len(articles)):
        lines = rng.sample(train, 6)
        title = " ".join(rng.sample(lines[0].split(), k=min(5, len(lines[0].split()))))
        out.append(Article(f"synthetic-{i}", f"{title} {i}", "\n".join(lines)))
    return out


def store(url: str, articles: list[Article], blobs: list[bytes] | None = None) -> Any:
    """A fresh memory holding ``articles`` (their vectors ``blobs``, computed if not given)."""
    engine = make_engine(url, sqlite_synchronous="OFF")
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    for start in range(0, len(articles), 5000):
        chunk = articles[start : start + 5000]
        vectors = blobs[start : start + 5000] if blobs else [vector_bytes(a) for a in chunk]
        rows = [
            {
                "id": f"art_{start + k:08d}",
                "slug": a.slug,
                "title": a.title,
                "body": a.body,
                "products": [],
                "channels": [],
                "audience": "internal",
                "status": "published",
                "version": 1,
                "content_hash": a.content_hash(),
                "vector": v,
                "vector_model": VECTOR_MODEL,
                "created_at": now,
                "updated_at": now,
            }
            for k, (a, v) in enumerate(zip(chunk, vectors, strict=True))
        ]
        with engine.begin() as conn:
            conn.execute(t.articles.insert(), rows)
    return engine


def percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))] * 1000, 2),
    }


def ours_latency(engine: Any, queries: list[str]) -> tuple[list[float], dict[str, Any]]:
    """Search through the product's path; then, on the same index and queries, the parts
    timed alone and the approximate index against exact search (the baseline)."""
    with engine.connect() as conn:
        began = time.perf_counter()
        find_articles(conn, queries[0])  # builds the index once, as the first search would
        built = time.perf_counter() - began
        times = []
        for q in queries:
            begin = time.perf_counter()
            find_articles(conn, q, limit=5)
            times.append(time.perf_counter() - begin)
        index = knowledge_index(conn)
    exact = dataclasses.replace(index, nearest=None, keys=None, row_of_key=None, heads={})
    vectors = sentence_vectors(queries)
    parts: dict[str, list[float]] = {
        "ann": [],
        "exact": [],
        "lexical": [],
        "lexical_exact": [],
        "embed": [],
    }
    agree_nn, agree_hits = [], []
    for q, v in zip(queries, vectors, strict=True):
        begin = time.perf_counter()
        sentence_vectors([q])
        parts["embed"].append(time.perf_counter() - begin)
        begin = time.perf_counter()
        index.lexical_candidates(ks.terms(q), ks.CANDIDATES, None)
        parts["lexical"].append(time.perf_counter() - begin)
        begin = time.perf_counter()
        ks._top(exact.lexical_scores(ks.terms(q)), ks.CANDIDATES, nonzero=True)
        parts["lexical_exact"].append(time.perf_counter() - begin)
        begin = time.perf_counter()
        approximate = search(index, q, v, limit=10)
        parts["ann"].append(time.perf_counter() - begin)
        begin = time.perf_counter()
        truth = search(exact, q, v, limit=10)
        parts["exact"].append(time.perf_counter() - begin)
        agree_hits.append(
            len({h.document.slug for h in approximate} & {h.document.slug for h in truth})
            / max(len(truth), 1)
        )
        if index.nearest is not None:
            assert index.row_of_key is not None
            keys, _ = index.nearest.search(v, 10)
            found = set(index.row_of_key[keys].tolist())
            closest = set(np.argpartition(-(index.vectors @ v), 9)[:10].tolist())
            agree_nn.append(len(found & closest) / 10)
    detail = {
        "index_build_s": round(built, 1),
        "approximate": index.nearest is not None,
        "nearest_recall_at_10": round(float(np.mean(agree_nn)), 4) if agree_nn else None,
        "search_recall_at_10": round(float(np.mean(agree_hits)), 4),
        "parts": {name: percentiles(t) for name, t in parts.items()},
    }
    return times, detail


def gaps(
    url: str, articles: list[Article], test: list[str], labels: list[str], removed: int
) -> dict[str, Any]:
    rng = random.Random(SEED + 3)
    intents = sorted(set(labels))
    gone = set(rng.sample(intents, removed))
    kept = [a for a in articles if a.slug.replace("-", "_") not in gone]
    engine = store(url, kept)
    now = dt.datetime.now(dt.UTC)
    customers, interactions, messages = [], [], []
    for n, text in enumerate(test):
        at = now - dt.timedelta(days=rng.uniform(0.1, 29.9))
        cid, iid = f"cus_b{n:07d}", f"int_b{n:07d}"
        customers.append(
            {"id": cid, "status": "active", "traits": {}, "created_at": at, "updated_at": at}
        )
        interactions.append(
            {
                "id": iid,
                "external_id": f"chat-b{n}",
                "customer_id": cid,
                "origin_id": cid,
                "source": "bench",
                "channel": "chat",
                "status": "ended",
                "started_at": at,
                "ended_at": at,
                "outcome": "resolved" if rng.random() < 0.85 else "unresolved",
                "transfers": 0,
                "message_count": 1,
            }
        )
        messages.append(
            {
                "id": f"msg_b{n:07d}",
                "customer_id": cid,
                "interaction_id": iid,
                "speaker": "customer",
                "text": text,
                "sent_at": at,
            }
        )
    with engine.begin() as conn:
        conn.execute(t.customers.insert(), customers)
        conn.execute(t.interactions.insert(), interactions)
        conn.execute(t.messages.insert(), messages)
    intent_of = {f"int_b{n:07d}": label for n, label in enumerate(labels)}
    begin = time.perf_counter()
    with engine.connect() as conn:
        found = knowledge_gaps(conn, days=30, limit=10, now=now)
    seconds = time.perf_counter() - begin
    main = []
    for gap in found:  # a group's intent: the one most of its contacts were about
        votes = Counter(intent_of[i] for i in gap["interactions"])
        main.append(votes.most_common(1)[0][0])
    covered = gone & set(main)
    engine.dispose()
    return {
        "removed": sorted(gone),
        "covered": len(covered),
        "of": len(gone),
        "top10_main_intents": main,
        "top10_removed_share": round(sum(m in gone for m in main) / max(len(main), 1), 3),
        "seconds": round(seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500, help="timed searches at scale")
    parser.add_argument("--removed", type=int, default=8, help="intents without an article")
    parser.add_argument(
        "--postgres-url", help="also time ts_rank here; its public schema is DROPPED"
    )
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="warmline-knowledge-"))
    train, train_labels = banking77("train")
    test, test_labels = banking77("test")
    articles, held = faq(train, train_labels)
    truth = [label.replace("_", "-") for label in test_labels]
    index = index_of(articles)
    weight, tuning = tune(index, held)
    ks.LEXICAL_WEIGHT, ks.DENSE_WEIGHT = weight, 1 - weight
    quality = {"ours": ranks_of(ours(index, test), truth)}
    quality["bm25s"] = ranks_of(with_bm25s(articles, test), truth)
    small = make_engine(f"sqlite:///{workdir / 'faq.db'}")
    with small.begin() as conn:
        sqlite_fts(conn, articles)
        fts_found, _ = with_sqlite_fts(conn, test)
    quality["sqlite fts5 bm25"] = ranks_of(fts_found, truth)
    small.dispose()

    rng = random.Random(SEED + 4)
    timed = rng.sample(test, args.queries)
    big = synthetic(articles, train, args.articles)
    began = time.perf_counter()
    blobs = [vector_bytes(a) for a in big]
    console.print(f"embedded {len(big):,} articles in {time.perf_counter() - began:.0f} s")
    scale: dict[str, Any] = {}
    engine = store(f"sqlite:///{workdir / 'articles.db'}", big, blobs)
    times, detail = ours_latency(engine, timed)
    scale["sqlite ours"] = percentiles(times)
    for name, figures in detail.pop("parts").items():
        scale[f"  {PARTS[name]}"] = figures
    ann_detail = detail
    with engine.begin() as conn:
        sqlite_fts(conn)
    with engine.connect() as conn:
        _, fts_times = with_sqlite_fts(conn, timed)
    scale["sqlite fts5 ORDER BY rank"] = percentiles(fts_times)
    engine.dispose()
    if args.postgres_url:
        engine = store(args.postgres_url, big, blobs)
        scale["postgresql ours"] = percentiles(ours_latency(engine, timed)[0])
        with engine.begin() as conn:
            scale["postgresql ts_rank"] = percentiles(with_postgres_fts(conn, timed))
        engine.dispose()
    found_gaps = gaps(f"sqlite:///{workdir / 'gaps.db'}", articles, test, test_labels, args.removed)

    table = Table(
        "search",
        "top-1",
        "top-5",
        "MRR",
        title="Banking77 as a FAQ: 77 articles, 3,080 test queries",
    )
    for name, figures in quality.items():
        table.add_row(
            name, f"{figures['top1']:.3f}", f"{figures['top5']:.3f}", f"{figures['mrr']:.3f}"
        )
    console.print(table)
    console.print(
        f"fusion weight chosen on held-out train: lexical {weight} (top-1 by weight: "
        + ", ".join(f"{w}: {r['top1']:.3f}" for w, r in tuning.items())
        + ")"
    )
    timing = Table("path", "p50 ms", "p99 ms", title=f"ranked search at {args.articles:,} articles")
    for name, figures in scale.items():
        timing.add_row(name, f"{figures['p50_ms']:.2f}", f"{figures['p99_ms']:.2f}")
    console.print(timing)
    console.print(
        f"approximate index: {ann_detail['approximate']}, recall@10 of its nearest vectors "
        f"against exact {ann_detail['nearest_recall_at_10']}, of the search's top 10 "
        f"{ann_detail['search_recall_at_10']}; index built in {ann_detail['index_build_s']} s"
    )
    console.print(
        f"gap mining: {found_gaps['covered']} of {found_gaps['of']} intents without an article "
        f"lead one of the top 10 groups ({found_gaps['top10_removed_share']:.0%} of the top 10 "
        f"are such intents), in {found_gaps['seconds']} s"
    )
    margin = quality["ours"]["top1"] - quality["bm25s"]["top1"]
    p99 = scale["sqlite ours"]["p99_ms"]
    result = {
        "benchmark": "knowledge",
        "quality": quality,
        "lexical_weight": weight,
        "tuning_top1": {str(w): r["top1"] for w, r in tuning.items()},
        "scale": scale,
        "approximate_index": ann_detail,
        "articles": args.articles,
        "gaps": found_gaps,
        "goals": {
            "top1_over_bm25s_points": round(margin * 100, 1),
            "top1_goal_met": margin >= 0.10,
            "p99_goal_met": p99 <= 20,
            "gaps_goal_met": found_gaps["covered"] == found_gaps["of"],
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
