"""Word and character n-gram TF-IDF features, computed a whole batch at a time.

The same recipe as scikit-learn's ``TfidfVectorizer`` with word 1-2-grams and
``char_wb`` 2-5-grams (sublinear term frequency, smoothed idf, each block L2
normalised), written here so that a shipped model is plain arrays (no pickle) and
so that prediction is fast: a word's character n-grams are looked up once and
cached, and the weighting of a whole batch is a handful of numpy calls.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain, pairwise

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

from warmline.domain.insight.message_text import words
from warmline.models.files import array_text, text_array

CHAR_MIN, CHAR_MAX = 2, 5
# Enough for the working vocabulary of a contact centre; beyond it, words are recomputed.
_CACHE_LIMIT = 200_000


def char_ngrams(chunk: str) -> list[str]:
    """The 2- to 5-character n-grams of one whitespace-separated chunk, padded with spaces."""
    padded = f" {chunk} "
    size = len(padded)
    grams: list[str] = []
    for n in range(CHAR_MIN, CHAR_MAX + 1):
        if n > size:
            break
        grams.extend(padded[i : i + n] for i in range(size - n + 1))
    return grams


def word_ngrams(tokens: Sequence[str]) -> list[str]:
    """Word unigrams and bigrams."""
    return [*tokens, *(f"{a} {b}" for a, b in pairwise(tokens))]


#: Words that turn what follows them round ("not happy", "never sorted", "don't like").
#: Not "no": "no problem", "no worries" are set phrases, and "no reply" is its own bigram.
NEGATORS = frozenset(
    {"not", "never", "nothing", "nobody", "none", "nowhere", "neither", "nor"}
    | {"cannot", "cant", "dont", "doesnt", "didnt", "isnt", "wasnt", "arent", "werent"}
    | {"wont", "wouldnt", "couldnt", "shouldnt", "havent", "hasnt", "hadnt", "aint"}
)
#: Where a negation's reach ends: clause punctuation, or a word that turns it back.
_STOPS = frozenset(".,!?;:") | {"but", "though", "although", "however"}
_TOKEN_OR_STOP = re.compile(r"(?u)\b\w\w+\b|[.,!?;:]")
_CONTRACTED = ("n't", "n\u2019t")
#: A negated word is this prefix and the word ("not happy" -> "not", "not_happy").
NEGATED = "not_"


def negated_words(text: str) -> list[str]:
    """The word tokens of prepared text (as :func:`words`), each word after a negator
    ("not", "never", "nobody", "don't"...) up to the end of its clause written as
    ``not_<word>``: a linear model over n-grams then tells "not happy at all" from
    "happy" (Das & Chen 2001; Pang et al. 2002)."""
    tokens: list[str] = []
    negated = False
    for match in _TOKEN_OR_STOP.finditer(text):
        token = match.group()
        if token in _STOPS:
            negated = False
            if len(token) > 1:
                tokens.append(token)
            continue
        if token in NEGATORS or text.startswith(_CONTRACTED, match.end() - 1):
            tokens.append(token)
            negated = True
        else:
            tokens.append(NEGATED + token if negated else token)
    return tokens


class NgramFeatures:
    """A fitted vocabulary with its idf; turns prepared texts into a sparse TF-IDF matrix."""

    def __init__(
        self,
        word_vocab: Sequence[str],
        char_vocab: Sequence[str],
        idf: NDArray[np.float32],
        *,
        negation: bool = False,
    ):
        """``negation``: words after a negator are their own features (see
        :func:`negated_words`)."""
        if len(idf) != len(word_vocab) + len(char_vocab):
            raise ValueError("idf must have one value per word and character n-gram")
        self.word_vocab = list(word_vocab)
        self.char_vocab = list(char_vocab)
        self.idf = np.asarray(idf, dtype=np.float32)
        self._words = {gram: i for i, gram in enumerate(self.word_vocab)}
        offset = len(self.word_vocab)
        self._chars = {gram: offset + i for i, gram in enumerate(self.char_vocab)}
        self._chunk_ids: dict[str, list[int]] = {}
        self.negation = negation
        self._tokens = negated_words if negation else words

    @property
    def size(self) -> int:
        """Number of features (columns of :meth:`transform`)."""
        return len(self.idf)

    @classmethod
    def fit(cls, texts: Sequence[str], *, min_df: int = 2, negation: bool = False) -> NgramFeatures:
        """Learn the n-grams seen in at least ``min_df`` texts, and their idf."""
        word_df: Counter[str] = Counter()
        char_df: Counter[str] = Counter()
        tokens = negated_words if negation else words
        for text in texts:
            word_df.update(set(word_ngrams(tokens(text))))
            char_df.update({gram for chunk in text.split() for gram in char_ngrams(chunk)})
        word_vocab = sorted(g for g, n in word_df.items() if n >= min_df)
        char_vocab = sorted(g for g, n in char_df.items() if n >= min_df)
        df = np.array([word_df[g] for g in word_vocab] + [char_df[g] for g in char_vocab])
        idf = np.log((1 + len(texts)) / (1 + df)) + 1
        return cls(word_vocab, char_vocab, idf.astype(np.float32), negation=negation)

    def known_words(self, tokens: Iterable[str]) -> int:
        """How many of ``tokens`` are in the word vocabulary (a cheap 'do I know this?')."""
        return sum(1 for token in tokens if token in self._words)

    def transform(self, texts: Sequence[str]) -> csr_matrix:
        """The TF-IDF matrix of prepared texts, one row per text."""
        found = [self._ids(text) for text in texts]
        lengths = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
        ids = np.fromiter(chain.from_iterable(found), dtype=np.int32, count=int(lengths.sum()))
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        counts = csr_matrix(
            (np.ones(len(ids), dtype=np.float32), ids, indptr), shape=(len(texts), self.size)
        )
        counts.sum_duplicates()  # repeated n-grams become one entry holding their count
        return self._weigh(counts)

    def _ids(self, text: str) -> list[int]:
        lookup = self._words
        found = [
            i for gram in word_ngrams(self._tokens(text)) if (i := lookup.get(gram)) is not None
        ]
        cache = self._chunk_ids
        for chunk in text.split():
            chunk_ids = cache.get(chunk)
            if chunk_ids is None:
                chars = self._chars
                chunk_ids = [i for g in char_ngrams(chunk) if (i := chars.get(g)) is not None]
                if len(cache) < _CACHE_LIMIT:
                    cache[chunk] = chunk_ids
            found.extend(chunk_ids)
        return found

    def _weigh(self, counts: csr_matrix) -> csr_matrix:
        n_rows = counts.shape[0]
        rows = np.repeat(np.arange(n_rows), np.diff(counts.indptr))
        values = (1.0 + np.log(counts.data)) * self.idf[counts.indices]
        block = rows * 2 + (counts.indices >= len(self.word_vocab))
        norms = np.sqrt(np.bincount(block, weights=values * values, minlength=2 * n_rows))
        counts.data = (values / norms[block]).astype(np.float32)
        return counts

    def to_arrays(self, prefix: str) -> dict[str, NDArray[np.generic]]:
        """The vocabulary and idf as arrays for a model file (see :mod:`model_file`)."""
        return {
            f"{prefix}word_vocab": text_array(self.word_vocab),
            f"{prefix}char_vocab": text_array(self.char_vocab),
            f"{prefix}idf": self.idf.astype(np.float32),
            f"{prefix}negation": np.array([self.negation]),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, NDArray[np.generic]], prefix: str) -> NgramFeatures:
        """Rebuild from :meth:`to_arrays`."""
        return cls(
            array_text(arrays[f"{prefix}word_vocab"]),
            array_text(arrays[f"{prefix}char_vocab"]),
            np.asarray(arrays[f"{prefix}idf"], dtype=np.float32),
            negation=bool(arrays[f"{prefix}negation"][0])
            if f"{prefix}negation" in arrays
            else False,
        )
