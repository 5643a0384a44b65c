"""Sentiment, emotions and language of customer messages, a whole batch at a time.

One sparse linear model (word and character n-gram TF-IDF, see
:mod:`~warmline.models.ngrams`) scores the seven emotions of GoEmotions' Ekman grouping
one-vs-rest, each with its own decision threshold tuned on the dev split, and a three-way
polarity head gives the sentiment (P(positive) - P(negative)). The shipped weights are trained by
``scripts/train_insight_models.py`` on GoEmotions (Apache-2.0; see
``shipped/ATTRIBUTION.md``).

Limits, measured in ``benchmarks/insight.py`` and shown in the tests: the model
reads words, not intent, so sarcasm ("great, declined again, just brilliant") can
come out as joy; it was trained on English Reddit comments, so other languages are
reported as unsupported with no emotions rather than guessed.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from warmline.domain.insight.message_text import MessageText, prepare, words
from warmline.domain.insight.readings import MessageInsight
from warmline.models.files import pack, shipped, unpack
from warmline.models.language import detect_language
from warmline.models.linear_scores import linear_arrays, linear_parts, sigmoid, softmax
from warmline.models.ngrams import NgramFeatures

KIND = "warmline.emotions"
EMOTION_FILE = "goemotions_ekman.npz"
#: Polarity classes of the sentiment head, in column order.
POLARITY = ("negative", "neutral", "positive")


class EmotionModel:
    """Emotion probabilities and sentiment from one sparse matrix product per batch."""

    def __init__(
        self,
        features: NgramFeatures,
        labels: Sequence[str],
        weights: NDArray[np.floating],
        bias: NDArray[np.floating],
        thresholds: NDArray[np.floating],
        *,
        languages: Sequence[str] = ("en",),
    ):
        """``weights`` has one column per label, then the three :data:`POLARITY` columns."""
        if weights.shape != (features.size, len(labels) + len(POLARITY)):
            raise ValueError("weights must be features x (labels + 3 polarity columns)")
        self.features = features
        self.labels = tuple(labels)
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.thresholds = np.asarray(thresholds, dtype=np.float32)
        self.languages = frozenset(languages)
        self.english = frozenset(g for g in features.word_vocab if " " not in g)

    def scores(self, texts: Sequence[str]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Emotion probabilities (rows x labels) and sentiment (rows) of prepared texts."""
        if not texts:
            return np.zeros((0, len(self.labels)), np.float32), np.zeros(0, np.float32)
        raw = self.features.transform(texts) @ self.weights + self.bias
        n = len(self.labels)
        polarity = softmax(raw[:, n:])
        return sigmoid(raw[:, :n]), polarity[:, 2] - polarity[:, 0]

    def decide(self, probabilities: NDArray[np.floating]) -> list[tuple[tuple[str, float], ...]]:
        """Labels that clear their threshold (at least the closest one), strongest first.

        'Strongest' is measured against each label's own threshold, so a rare emotion
        the model is fairly sure of ranks ahead of a common one it is lukewarm about.
        """
        ratio = probabilities / self.thresholds
        found = []
        for row, row_ratio in zip(probabilities, ratio, strict=True):
            order = np.argsort(-row_ratio)
            chosen = [i for i in order if row_ratio[i] >= 1.0] or [int(order[0])]
            found.append(tuple((self.labels[i], round(float(row[i]), 3)) for i in chosen))
        return found

    def analyse(self, texts: Sequence[str]) -> list[MessageInsight]:
        """Sentiment, emotions and language of each message, in order."""
        prepared = [prepare(text) for text in texts]
        languages = [self._language(m) for m in prepared]
        readable = [
            i
            for i, (m, lang) in enumerate(zip(prepared, languages, strict=True))
            if not m.empty and (m.emoji_only or lang in self.languages)
        ]
        probabilities, sentiment = self.scores([prepared[i].text for i in readable])
        decided = dict(zip(readable, self.decide(probabilities), strict=True))
        polarity = dict(zip(readable, sentiment.tolist(), strict=True))
        return [
            MessageInsight(
                sentiment=round(polarity.get(i, 0.0), 3),
                emotions=decided.get(i, ()),
                language=languages[i],
                supported=i in decided,
                empty=m.empty,
                emoji_only=m.emoji_only,
                truncated=m.truncated,
            )
            for i, m in enumerate(prepared)
        ]

    def _language(self, message: MessageText) -> str | None:
        if message.empty or not message.has_letters:
            return None
        return detect_language(message.text, words(message.text), self.english)

    def to_bytes(self) -> bytes:
        """The model as a compressed npz (int8 weights with a scale per column)."""
        arrays = linear_arrays(self.features, self.labels, self.languages, self.weights, self.bias)
        arrays["thresholds"] = self.thresholds
        return pack(KIND, {"version": 1}, arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> EmotionModel:
        """Load a model written by :meth:`to_bytes`."""
        _, arrays = unpack(KIND, data)
        parts = linear_parts(arrays)
        return cls(
            parts.features,
            parts.labels,
            parts.weights,
            parts.bias,
            arrays["thresholds"].astype(np.float32),
            languages=parts.languages,
        )


@functools.cache
def default_emotion_model() -> EmotionModel:
    """The shipped GoEmotions model (loaded once per process)."""
    return EmotionModel.from_bytes(shipped(EMOTION_FILE))


def analyse_messages(texts: Sequence[str]) -> list[MessageInsight]:
    """Sentiment, emotions, language and input flags of each message, batch-first.

    Call it once per batch: the cost is one sparse matrix product for the batch plus
    tens of microseconds per message. Messages longer than ``MAX_CHARS`` characters
    are read up to that length.
    """
    return default_emotion_model().analyse(texts)
