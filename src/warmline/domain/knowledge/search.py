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

Scoring touches only the postings of the query's words and the closest vectors, so it
does not sort every article that shares a common word with the query. In a small index
(under :data:`ANN_FROM` articles) the closest vectors are found exactly, by one
matrix-vector product; a large one is given an approximate nearest-neighbour index
(:class:`Nearest`, e.g. :class:`warmline.models.nearest.VectorIndex`) that chooses the
candidates, which are then scored exactly. Likewise, in an index of :data:`HEADS_FROM`
articles or more, a word in more than :data:`HEAD_POSTINGS` articles offers only its
highest-weighted postings (impact order) as candidates, whose BM25 is then computed in
full. A
filter that leaves few articles is searched exactly among them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

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
#: From this many articles the meaning's candidates come from an approximate index.
ANN_FROM = 20_000
#: A word's postings read (its highest-weighted) when choosing candidates by words.
HEAD_POSTINGS = 2000
#: From this many articles words offer only the heads of their postings. Below it reading
#: every posting is quicker: at 100,000 articles the query's top 100 by words took 2.1 ms
#: (p99 7.7) reading them all against 4.4 ms (p99 22.9) from the heads, same run.
HEADS_FROM = 300_000
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


_NONE = Feedback()


@dataclass(frozen=True, slots=True)
class Hit:
    """An article found for a query, its score and why."""

    document: Document
    score: float
    lexical: float
    dense: float
    why: tuple[str, ...]


class Nearest(Protocol):
    """An approximate nearest-neighbour index over the documents' whole vectors, each
    document under an integer key."""

    def search(
        self, query: NDArray[np.float32], k: int, allowed: NDArray[np.bool_] | None = None
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """Keys of the (about) ``k`` closest vectors, best first, and their inner products;
        ``allowed`` (indexed by key) limits them."""
        ...

    @property
    def key_count(self) -> int:
        """One more than the largest key."""
        ...


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
    #: A large index's approximate neighbours, and each document's key in it.
    nearest: Nearest | None = None
    keys: NDArray[np.int64] | None = None
    row_of_key: NDArray[np.int64] | None = None
    #: The highest-weighted :data:`HEAD_POSTINGS` postings of each word that has more.
    heads: dict[str, tuple[NDArray[np.int64], NDArray[np.float32]]] = field(default_factory=dict)
    _masks: dict[tuple[str, str], NDArray[np.bool_]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        documents: Sequence[Document],
        vectors: NDArray[np.float32],
        passage_vectors: Sequence[NDArray[np.float32]] | None = None,
        *,
        nearest: Nearest | None = None,
        keys: NDArray[np.int64] | None = None,
    ) -> KnowledgeIndex:
        """Index ``documents``; ``vectors`` holds one unit vector per document, in order, and
        ``passage_vectors`` (if given) each document's passage vectors (rows). ``nearest``
        (with each document's ``keys`` in it) chooses the meaning's candidates."""
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
        heads = {}
        for term, (docs_of, weights_of) in postings.items():
            if n >= HEADS_FROM and len(docs_of) > HEAD_POSTINGS:
                best = np.argpartition(-weights_of, HEAD_POSTINGS - 1)[:HEAD_POSTINGS]
                heads[term] = (docs_of[best], weights_of[best])
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
        row_of_key = None
        if nearest is not None:
            if keys is None or len(keys) != len(documents):
                raise ValueError("one key per document with a nearest-neighbour index")
            row_of_key = np.full(max(nearest.key_count, int(keys.max(initial=-1)) + 1), -1)
            row_of_key[keys] = np.arange(len(keys))
        return cls(
            list(documents),
            whole,
            stacked,
            starts,
            postings,
            [frozenset(c) for c in counts],
            idfs,
            nearest,
            keys,
            row_of_key,
            heads,
        )

    def closest(
        self, query_vector: NDArray[np.float32], k: int, allowed: NDArray[np.bool_] | None
    ) -> set[int]:
        """The ``k`` documents (among those ``allowed``) whose whole is closest to the query:
        exact in a small index or a narrow filter, approximate otherwise."""
        rows: NDArray[np.int64] | None = None
        if allowed is not None and int(allowed.sum()) <= ANN_FROM:
            rows = np.flatnonzero(allowed)
        if self.nearest is None or self.keys is None or self.row_of_key is None or rows is not None:
            among = rows if rows is not None else np.arange(len(self.documents))
            if len(among) == 0:
                return set()
            scores = (
                self.vectors[among] @ query_vector
                if rows is not None
                else (self.vectors @ query_vector)
            )
            if len(among) <= k:
                return {int(i) for i in among}
            return {int(among[j]) for j in np.argpartition(-scores, k - 1)[:k]}
        by_key = None
        if allowed is not None:
            by_key = np.zeros(len(self.row_of_key), dtype=np.bool_)
            by_key[self.keys[allowed]] = True
        keys, _ = self.nearest.search(query_vector, k, by_key)
        keys = keys[keys < len(self.row_of_key)]
        found = self.row_of_key[keys]  # a key added since this index was built maps to -1
        return {int(i) for i in found[found >= 0]}

    def meaning(self, ids: Sequence[int], query_vector: NDArray[np.float32]) -> NDArray[np.float32]:
        """How close in meaning documents ``ids`` are to the query: their whole's cosine and
        their closest passage's, averaged (the whole's alone for a document without passages)."""
        chosen = np.asarray(list(ids), dtype=np.int64)
        whole = self.vectors[chosen] @ query_vector
        begins, ends = self.starts[chosen], self.starts[chosen + 1]
        sizes = ends - begins
        has = sizes > 0
        if not has.any():
            return whole
        # Each chosen document's passage rows, one after another, and their closest.
        counts = sizes[has]
        firsts = np.cumsum(counts) - counts
        rows = np.repeat(begins[has] - firsts, counts) + np.arange(int(counts.sum()))
        sims = self.passage_vectors[rows] @ query_vector
        closest = whole.copy()
        closest[has] = np.maximum.reduceat(sims, firsts)
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

    def lexical_candidates(
        self, stems: Sequence[str], k: int, allowed: NDArray[np.bool_] | None
    ) -> set[int]:
        """The ``k`` documents (among those ``allowed``) with the highest BM25 for the query,
        among those at the head (the :data:`HEAD_POSTINGS` highest-weighted postings) of one
        of its words (among all under a filter that leaves few documents)."""
        counted = Counter(stems)
        narrow = allowed is not None and int(allowed.sum()) <= ANN_FROM
        if narrow or not any(stem in self.heads for stem in counted):
            scores = self.lexical_scores(stems)
            if allowed is not None:
                scores = np.where(allowed, scores, 0.0).astype(np.float32)
            return _top(scores, k, nonzero=True)
        # Every document at the head of some word's postings, scored in full.
        read = [
            found[0]
            for stem in counted
            if (found := self.heads.get(stem) or self.postings.get(stem)) is not None
        ]
        pool = np.unique(np.concatenate(read)) if read else np.zeros(0, dtype=np.int64)
        if allowed is not None:
            pool = pool[allowed[pool]]
        if len(pool) <= k:
            return {int(i) for i in pool}
        sums = self.lexical_of(pool, stems)
        return {int(i) for i in pool[np.argpartition(-sums, k - 1)[:k]]}

    def lexical_of(self, ids: NDArray[np.int64], stems: Sequence[str]) -> NDArray[np.float32]:
        """The full BM25 of documents ``ids`` for the query's stems."""
        scores = np.zeros(len(ids), dtype=np.float32)
        for stem, times in Counter(stems).items():
            found = self.postings.get(stem)
            if found is None:
                continue
            docs, weights = found
            at = np.minimum(np.searchsorted(docs, ids), len(docs) - 1)
            hit = docs[at] == ids
            scores[hit] += weights[at[hit]] * times
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
    allowed = index.mask(filters or Filters())
    candidates = sorted(
        index.lexical_candidates(stems, CANDIDATES, allowed)
        | index.closest(query_vector, CANDIDATES, allowed)
    )
    if allowed is not None:
        candidates = [i for i in candidates if allowed[i]]
    if not candidates:
        return []
    ids = np.asarray(candidates, dtype=np.int64)
    ideal = index.ideal(stems)
    lex = (
        np.minimum(index.lexical_of(ids, stems) / ideal, 1.0, dtype=np.float64)
        if ideal > 0
        else np.zeros(len(ids))
    )
    sim = np.maximum(index.meaning(candidates, query_vector), 0.0, dtype=np.float64)
    feedback = feedback or {}
    said_by = [feedback.get(index.documents[i].article_id, _NONE) for i in candidates]
    factors = np.array([1.0 if f is _NONE else f.factor() for f in said_by], dtype=np.float64)
    scores = np.round((LEXICAL_WEIGHT * lex + DENSE_WEIGHT * sim) * factors, 4)
    # Best first, ties by slug; only the hits returned are explained.
    positive = np.flatnonzero(scores > 0)
    if len(positive) > limit:  # only those that can make the cut (with their ties) sorted
        line = np.partition(scores[positive], len(positive) - limit)[len(positive) - limit]
        positive = positive[scores[positive] >= line]
    order = sorted(
        (int(k) for k in positive),
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
