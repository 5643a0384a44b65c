"""The approximate nearest-neighbour index behind a large article base: it finds what
exact search finds, respects filters, and follows articles as they change."""

from __future__ import annotations

import numpy as np
import pytest

from warmline.domain.knowledge import search as search_module
from warmline.domain.knowledge.search import Document, Filters, KnowledgeIndex, search
from warmline.models.nearest import VectorIndex


def _vectors(count: int, dims: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Like real embeddings, the vectors vary along fewer directions than they have.
    latent = rng.normal(size=(count, 16)) @ rng.normal(size=(16, dims))
    raw = latent + 0.2 * rng.normal(size=(count, dims))
    return (raw / np.linalg.norm(raw, axis=1, keepdims=True)).astype(np.float32)


def _documents(count: int) -> list[Document]:
    return [
        Document(f"a{i}", f"s{i}", f"Title {i}", "body", channels=frozenset({f"c{i % 50}"}))
        for i in range(count)
    ]


def _slugs(index: KnowledgeIndex, query: np.ndarray, **kwargs: object) -> list[str]:
    return [h.document.slug for h in search(index, "nothing shared", query, limit=5, **kwargs)]  # type: ignore[arg-type]


def test_the_approximate_index_finds_what_exact_search_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    count, dims = 4000, 48
    vectors = _vectors(count, dims, 7)
    documents = _documents(count)
    exact = KnowledgeIndex.build(documents, vectors)
    nearest = VectorIndex()
    keys = nearest.sync([d.article_id for d in documents], vectors)
    approximate = KnowledgeIndex.build(documents, vectors, nearest=nearest, keys=keys)
    rng = np.random.default_rng(3)
    queries = [
        vectors[i] + 0.05 * rng.normal(size=dims).astype(np.float32) for i in range(0, count, 97)
    ]
    queries = [q / np.linalg.norm(q) for q in queries]
    agree = [_slugs(exact, q)[0] == _slugs(approximate, q)[0] for q in queries]
    assert sum(agree) >= 0.95 * len(agree)
    # A filter that leaves many articles is applied inside the approximate search...
    monkeypatch.setattr(search_module, "ANN_FROM", 10)
    broad = Filters(channel="c3")
    for q in queries[:10]:
        found = search(approximate, "nothing shared", q, filters=broad, limit=5)
        assert found and all(h.document.channels == {"c3"} for h in found)
    # ...and one that leaves few is searched exactly among them.
    monkeypatch.setattr(search_module, "ANN_FROM", 1000)
    for q in queries[:10]:
        assert _slugs(approximate, q, filters=broad) == _slugs(exact, q, filters=broad)


def test_the_index_follows_articles_added_changed_and_removed() -> None:
    count, dims = 2000, 32
    vectors = _vectors(count + 1, dims, 11)
    documents = _documents(count)
    ids = [d.article_id for d in documents]
    nearest = VectorIndex()
    keys = nearest.sync(ids, vectors[:count])
    assert len(nearest) == count
    old = KnowledgeIndex.build(documents, vectors[:count], nearest=nearest, keys=keys)
    target = vectors[count]  # a vector no article has yet
    assert "s5" not in _slugs(old, target)[:1]
    # Article a5 changes to mean the target; a6 is retired; a new article arrives.
    changed = vectors[:count].copy()
    changed[5] = target
    keep = [i for i in range(count) if i != 6]
    newcomer = Document("new", "new", "New", "body")
    documents2 = [documents[i] for i in keep] + [newcomer]
    vectors2 = np.vstack([changed[keep], vectors[6:7]])
    keys2 = nearest.sync([d.article_id for d in documents2], vectors2)
    assert len(nearest) == count
    assert keys2[0] == keys[0]  # an unchanged article keeps its key: nothing re-added
    index = KnowledgeIndex.build(documents2, vectors2, nearest=nearest, keys=keys2)
    assert _slugs(index, target)[0] == "s5"
    assert _slugs(index, vectors[6])[0] == "new"
    assert "s6" not in _slugs(index, vectors[6])
    # The index built before the change still answers, ignoring what it does not know.
    assert all(slug in {d.slug for d in documents} for slug in _slugs(old, vectors[6]))


def test_words_in_many_articles_offer_their_strongest_postings_and_score_in_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(5)
    words = ["card", "refund", "transfer", "pin", "fee", "limit", "travel", "account"]
    documents = [
        Document(
            f"a{i}",
            f"s{i}",
            f"Note {i}",
            " ".join(rng.choice(words, size=int(rng.integers(3, 30)))),
        )
        for i in range(3000)
    ]
    vectors = np.zeros((len(documents), 4), dtype=np.float32)
    monkeypatch.setattr(search_module, "HEAD_POSTINGS", 10**9)
    full = KnowledgeIndex.build(documents, vectors)
    assert full.heads == {}
    monkeypatch.setattr(search_module, "HEAD_POSTINGS", 300)
    assert KnowledgeIndex.build(documents, vectors).heads == {}  # a small index reads them all
    monkeypatch.setattr(search_module, "HEADS_FROM", 1000)
    headed = KnowledgeIndex.build(documents, vectors)
    assert set(headed.heads) == {*words, "note"} and all(
        len(d) == 300 for d, _ in headed.heads.values()
    )
    for query in ("card fee", "refund transfer limit", "pin", "travel card account fee"):
        exact = search(full, query, np.zeros(4, dtype=np.float32), limit=5)
        quick = search(headed, query, np.zeros(4, dtype=np.float32), limit=5)
        # The best found, and nearly all the rest, each scored in full (words spread evenly
        # over every article, as here, are the hardest case for reading only the heads).
        assert quick[0].score == exact[0].score
        same = {h.document.slug for h in quick} & {h.document.slug for h in exact}
        assert len(same) >= 4
        ids = np.array([int(h.document.article_id[1:]) for h in quick], dtype=np.int64)
        assert np.allclose(
            headed.lexical_of(ids, search_module.terms(query)),
            headed.lexical_scores(search_module.terms(query))[ids],
        )
