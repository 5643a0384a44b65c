"""Finding the article that answers a question: words and meaning together, and what
agents said helped.

Two views of every article are kept in memory: its words, scored with BM25 (Robertson
and Zaragoza 2009; k1 1.2, b 0.75, the title counted twice) over Snowball stems, and
its meaning: a unit sentence embedding of the whole (title and opening) and one of each
passage (:func:`passages`), compared by cosine; an article means what its whole means
and what its closest passage means, averaged. A query is scored by both;
their best candidates are fused (BM25 as a share of what a document holding every word
of the query would score, cosine as it is, weighted), and an article agents marked as
having helped for the reason in hand rises, one that did not help sinks. Every hit says
why it was found.

Scoring touches only the postings of the query's words and one matrix-vector product,
so it does not sort every article that shares a common word with the query. In a large
index (over :data:`COARSE_FROM` articles) that product runs on the vectors projected to
their :data:`COARSE_DIMENSIONS` principal directions, to choose candidates; the
candidates are then scored on the full vectors.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import Stemmer
from numpy.typing import NDArray

from warmline.domain.conversation.turns import STOPWORDS
from warmline.domain.identity.names import fold

K1, B = 1.2, 0.75
TITLE_WEIGHT = 2
#: How much each view counts when fused (chosen on Banking77's train split, see
#: ``benchmarks/knowledge.py``).
LEXICAL_WEIGHT, DENSE_WEIGHT = 0.3, 0.7
#: Candidates taken from each view before fusing.
CANDIDATES = 100
#: The most a query reads (a pasted essay is cut, not refused).
MAX_QUERY_CHARS = 2000
#: From this many articles the meaning's candidates are chosen on projected vectors.
COARSE_FROM = 20_000
COARSE_DIMENSIONS = 64
#: Passages of an article embedded on their own, at most, and their most characters.
MAX_PASSAGES, PASSAGE_CHARS = 24, 400
#: The cosine from which an article is said to be close in meaning to the query.
MEANING = 0.15
#: How far feedback moves an article for a reason: at most this factor either way.
FEEDBACK_RANGE = 2.0

_WORD = re.compile(r"[^\W_]+")
_stemmer = Stemmer.Stemmer("english")


def terms(text: str) -> list[str]:
    """The stems of a text's content words, case and accent folded."""
    return [stem for _, stem in worded_terms(text)]


def passages(body: str) -> list[str]:
    """An article's passages: its paragraphs and list items, each cut at
    :data:`PASSAGE_CHARS`, at most :data:`MAX_PASSAGES`."""
    found: list[str] = []
    for block in re.split(r"\n\s*\n", body):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        items = [line for line in lines if re.match(r"^([-*+]|\d+[.)])\s", line)]
        if items and len(items) == len(lines):
            found.extend(re.sub(r"^([-*+]|\d+[.)])\s+", "", line) for line in lines)
        elif lines:
            found.append(" ".join(lines))
    return [p[:PASSAGE_CHARS] for p in found if p][:MAX_PASSAGES]


def worded_terms(text: str) -> list[tuple[str, str]]:
    """Each content word of a text with its stem."""
    words = [w for w in _WORD.findall(fold(text)) if w not in STOPWORDS]
    return list(zip(words, _stemmer.stemWords(words), strict=True))


@dataclass(frozen=True, slots=True)
class Document:
    """What the index keeps of one article."""

    article_id: str
    slug: str
    title: str
    body: str
    products: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    audience: str = "internal"


@dataclass(frozen=True, slots=True)
class Filters:
    """Only articles for this product, channel and audience (None: any)."""

    product: str | None = None
    channel: str | None = None
    audience: str | None = None


@dataclass(frozen=True, slots=True)
class Feedback:
    """What agents said about one article for one reason."""

    helped: int = 0
    not_helped: int = 0

    def factor(self) -> float:
        """Multiplies the article's score: (1 + helped) / (1 + did not help), bounded."""
        ratio = (1 + self.helped) / (1 + self.not_helped)
        return min(max(ratio, 1 / FEEDBACK_RANGE), FEEDBACK_RANGE)


@dataclass(frozen=True, slots=True)
class Hit:
    """An article found for a query, its score and why."""

    document: Document
    score: float
    lexical: float
    dense: float
    why: tuple[str, ...]


@dataclass
class KnowledgeIndex:
    """Articles' words (BM25 postings) and meanings (unit vectors), ready to score."""

    documents: list[Document]
    vectors: NDArray[np.float32]
    #: Every document's passage vectors, one document after another; ``starts[i]`` is where
    #: document ``i``'s begin (``starts[n]`` the end).
    passage_vectors: NDArray[np.float32] = field(
        default_factory=lambda: np.zeros((0, 0), dtype=np.float32)
    )
    starts: NDArray[np.int64] = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    postings: dict[str, tuple[NDArray[np.int64], NDArray[np.float32]]] = field(default_factory=dict)
    stems_of: list[frozenset[str]] = field(default_factory=list)
    idf: dict[str, float] = field(default_factory=dict)
    #: A large index's vectors on their principal directions, and the projection.
    coarse: NDArray[np.float32] | None = None
    projection: NDArray[np.float32] | None = None
    _masks: dict[tuple[str, str], NDArray[np.bool_]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        documents: Sequence[Document],
        vectors: NDArray[np.float32],
        passage_vectors: Sequence[NDArray[np.float32]] | None = None,
    ) -> KnowledgeIndex:
        """Index ``documents``; ``vectors`` holds one unit vector per document, in order, and
        ``passage_vectors`` (if given) each document's passage vectors (rows)."""
        if len(vectors) != len(documents):
            raise ValueError("one vector per document")
        if passage_vectors is not None and len(passage_vectors) != len(documents):
            raise ValueError("one set of passage vectors per document")
        counts = [Counter(terms(d.title) * TITLE_WEIGHT + terms(d.body)) for d in documents]
        lengths = np.array([sum(c.values()) for c in counts], dtype=np.float32)
        average = float(lengths.mean()) if len(lengths) else 1.0
        frequency: Counter[str] = Counter()
        for c in counts:
            frequency.update(c.keys())
        n = len(documents)
        by_term: dict[str, tuple[list[int], list[float]]] = {}
        for i, c in enumerate(counts):
            norm = K1 * (1 - B + B * lengths[i] / max(average, 1e-9))
            for term, tf in c.items():
                docs, weights = by_term.setdefault(term, ([], []))
                docs.append(i)
                weights.append(tf * (K1 + 1) / (tf + norm))
        postings, idfs = {}, {}
        for term, (docs, weights) in by_term.items():
            df = frequency[term]
            idf = idfs[term] = math.log(1 + (n - df + 0.5) / (df + 0.5))
            postings[term] = (
                np.array(docs, dtype=np.int64),
                np.array(weights, dtype=np.float32) * np.float32(idf),
            )
        dims = vectors.shape[1] if len(vectors) else 0
        sets = (
            list(passage_vectors)
            if passage_vectors is not None
            else [np.zeros((0, dims), dtype=np.float32) for _ in documents]
        )
        starts = np.zeros(len(documents) + 1, dtype=np.int64)
        starts[1:] = np.cumsum([len(p) for p in sets])
        stacked = (
            np.vstack([np.asarray(p, dtype=np.float32).reshape(-1, dims) for p in sets])
            if sets
            else np.zeros((0, dims), dtype=np.float32)
        )
        whole = np.asarray(vectors, dtype=np.float32)
        coarse, projection = _project(whole) if len(whole) >= COARSE_FROM else (None, None)
        return cls(
            list(documents),
            whole,
            stacked,
            starts,
            postings,
            [frozenset(c) for c in counts],
            idfs,
            coarse,
            projection,
        )

    def whole_scores(self, query_vector: NDArray[np.float32]) -> NDArray[np.float32]:
        """Every document's whole-article cosine to the query (on projected vectors in a
        large index: for choosing candidates, not for their final score)."""
        if self.coarse is not None and self.projection is not None:
            return self.coarse @ (query_vector @ self.projection)
        return self.vectors @ query_vector

    def meaning(self, ids: Sequence[int], query_vector: NDArray[np.float32]) -> NDArray[np.float32]:
        """How close in meaning documents ``ids`` are to the query: their whole's cosine and
        their closest passage's, averaged (the whole's alone for a document without passages)."""
        ids = list(ids)
        whole = self.vectors[ids] @ query_vector
        ranges = [(int(self.starts[i]), int(self.starts[i + 1])) for i in ids]
        spans = [np.arange(a, b, dtype=np.int64) for a, b in ranges if b > a]
        if not spans:
            return whole
        rows = np.concatenate(spans)
        sims = self.passage_vectors[rows] @ query_vector
        closest = whole.copy()
        offset = 0
        for k, (a, b) in enumerate(ranges):
            if b > a:
                closest[k] = sims[offset : offset + b - a].max()
                offset += b - a
        return np.asarray((whole + closest) / 2, dtype=np.float32)

    def ideal(self, stems: Sequence[str]) -> float:
        """The BM25 score of a document holding every stem of the query, often: a match is
        measured against it, so matching one word of five is a fifth of a match. A word no
        article has counts as the rarest."""
        rarest = math.log(1 + (len(self.documents) + 0.5) / 0.5)
        return sum(self.idf.get(stem, rarest) * (K1 + 1) for stem in stems)

    def lexical_scores(self, stems: Sequence[str]) -> NDArray[np.float32]:
        """BM25 of every document for the query's stems (only their postings are read)."""
        scores = np.zeros(len(self.documents), dtype=np.float32)
        for stem, times in Counter(stems).items():
            found = self.postings.get(stem)
            if found is not None:
                scores[found[0]] += found[1] * times
        return scores

    def mask(self, filters: Filters) -> NDArray[np.bool_] | None:
        """Which documents the filters allow (None: all). An article that names no product
        or channel is for all of them."""
        wanted = [
            (kind, value)
            for kind, value in (
                ("product", filters.product),
                ("channel", filters.channel),
                ("audience", filters.audience),
            )
            if value
        ]
        if not wanted:
            return None
        keep = np.ones(len(self.documents), dtype=np.bool_)
        for kind, value in wanted:
            keep &= self._mask_for(kind, value)
        return keep

    def _mask_for(self, kind: str, value: str) -> NDArray[np.bool_]:
        found = self._masks.get((kind, value))
        if found is None:
            if kind == "audience":
                found = np.array([d.audience == value for d in self.documents], dtype=np.bool_)
            else:
                sets = [d.products if kind == "product" else d.channels for d in self.documents]
                found = np.array([not s or value in s for s in sets], dtype=np.bool_)
            self._masks[(kind, value)] = found
        return found


def search(
    index: KnowledgeIndex,
    query: str,
    query_vector: NDArray[np.float32],
    *,
    filters: Filters | None = None,
    feedback: Mapping[str, Feedback] | None = None,
    limit: int = 5,
) -> list[Hit]:
    """The articles that best answer ``query`` (its unit vector ``query_vector``), best first."""
    if not index.documents or not query.strip():
        return []
    said = worded_terms(query[:MAX_QUERY_CHARS])
    stems = [stem for _, stem in said]
    query_vector = np.asarray(query_vector, dtype=np.float32)
    lexical = index.lexical_scores(stems)
    whole = index.whole_scores(query_vector)
    allowed = index.mask(filters or Filters())
    if allowed is not None:
        lexical = np.where(allowed, lexical, 0.0)
        whole = np.where(allowed, whole, -1.0)
    candidates = sorted(_top(lexical, CANDIDATES, nonzero=True) | _top(whole, CANDIDATES))
    if allowed is not None:
        candidates = [i for i in candidates if allowed[i]]
    if not candidates:
        return []
    ids = np.asarray(candidates, dtype=np.int64)
    ideal = index.ideal(stems)
    lex = (
        np.minimum(lexical[ids] / ideal, 1.0, dtype=np.float64) if ideal > 0 else np.zeros(len(ids))
    )
    sim = np.maximum(index.meaning(candidates, query_vector), 0.0, dtype=np.float64)
    feedback = feedback or {}
    said_by = [feedback.get(index.documents[i].article_id, Feedback()) for i in candidates]
    factors = np.array([f.factor() for f in said_by], dtype=np.float64)
    scores = np.round((LEXICAL_WEIGHT * lex + DENSE_WEIGHT * sim) * factors, 4)
    # Best first, ties by slug; only the hits returned are explained.
    order = sorted(
        (k for k in range(len(ids)) if scores[k] > 0),
        key=lambda k: (-scores[k], index.documents[candidates[k]].slug),
    )[:limit]
    return [
        Hit(
            index.documents[candidates[k]],
            float(scores[k]),
            round(float(lex[k]), 4),
            round(float(sim[k]), 4),
            _why(said, index.stems_of[candidates[k]], float(lex[k]), float(sim[k]), said_by[k]),
        )
        for k in order
    ]


def _project(vectors: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The vectors on their principal directions (from a fixed sample), and the projection."""
    sample = vectors[np.random.default_rng(0).choice(len(vectors), 10_000, replace=False)]
    _, _, directions = np.linalg.svd(sample - sample.mean(axis=0), full_matrices=False)
    projection = np.ascontiguousarray(directions[:COARSE_DIMENSIONS].T, dtype=np.float32)
    return np.ascontiguousarray(vectors @ projection, dtype=np.float32), projection


def _top(scores: NDArray[np.float32], k: int, *, nonzero: bool = False) -> set[int]:
    """The ``k`` highest-scoring documents (among those scoring above zero if ``nonzero``:
    a word's postings are usually far fewer than the articles)."""
    among = np.flatnonzero(scores) if nonzero else np.arange(len(scores))
    if len(among) <= k:
        return {int(i) for i in among}
    top = among[np.argpartition(-scores[among], k - 1)[:k]]
    return {int(i) for i in top}


def _why(
    said: Sequence[tuple[str, str]],
    present: frozenset[str],
    lexical: float,
    similarity: float,
    feedback: Feedback,
) -> tuple[str, ...]:
    matched = list(dict.fromkeys(word for word, stem in said if stem in present))
    why = []
    if matched:
        why.append(f"shares the words {', '.join(matched[:4])}")
    # Meaning is named when it is some and carried at least a third of the score.
    if similarity >= MEANING and DENSE_WEIGHT * similarity >= 0.5 * LEXICAL_WEIGHT * lexical:
        why.append(f"close in meaning ({similarity:.2f})")
    if feedback.helped or feedback.not_helped:
        why.append(
            f"helped {feedback.helped} time{'s' if feedback.helped != 1 else ''}, "
            f"did not help {feedback.not_helped} for this reason"
        )
    return tuple(why)


def feedback_by_article(rows: Iterable[Mapping[str, Any]]) -> dict[str, Feedback]:
    """Counts per article from ``(article_id, helped, n)`` rows."""
    counts: dict[str, list[int]] = {}
    for row in rows:
        pair = counts.setdefault(str(row["article_id"]), [0, 0])
        pair[0 if row["helped"] else 1] += int(row["n"])
    return {a: Feedback(h, n) for a, (h, n) in counts.items()}
