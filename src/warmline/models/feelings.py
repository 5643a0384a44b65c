"""How a customer feels: polarity with a label and its confidence, emotions, frustration and
language, a whole batch at a time; and a refined reading from a second opinion.

**The fast reading** (every message, at ingest): one sparse linear model over word and
character n-gram TF-IDF (:mod:`~warmline.models.ngrams`) with three groups of columns:

* polarity (negative, neutral, positive), trained on SemEval-2017 Task 4A's tweets
  (many to companies) with each class weighted alike, temperature-scaled on held-out
  tweets; the label is the most probable class. Words after a negator up to the end of
  their clause are features of their own (:func:`~warmline.models.ngrams.negated_words`);
* GoEmotions' 27 emotions and neutral (annoyance, disappointment, confusion, gratitude,
  relief...), one-vs-rest, each with the threshold that gave its best F1 on GoEmotions'
  dev split; an emotion is reported only when it clears its threshold, with its
  :func:`strength` (0.5 at the threshold, towards 1 far above it) as its confidence;
* Ekman's seven groups (for comparison with published figures; not shown on the desk).

Frustration (:mod:`~warmline.domain.insight.frustration`) combines the customer's own
words with the annoyance, anger and disappointment read here and P(negative).

**The refined reading** (after ingest, :mod:`warmline.actions.insight_refine`): messages
the fast reading is unsure of (its polarity confidence below
:attr:`FeelingsModel.unsure_below`, or one of its emotion groups within
:attr:`FeelingsModel.emotions_unsure_within` of its threshold) are read again by the
feelings encoder (:mod:`~warmline.models.feelings_encoder`), and the two readings
are averaged (:attr:`FeelingsModel.blend` for polarity, :attr:`~FeelingsModel.emotion_blend`
for emotions: each chosen on the dev splits) and decided with thresholds tuned for the
average. The shipped files are trained by ``scripts/train_insight_models.py`` and
``scripts/train_feelings_encoder.py`` (see ``shipped/ATTRIBUTION.md``).

Limits, measured in ``benchmarks/insight.py`` and shown in the tests: sarcasm is read
literally; other languages are unsupported (no emotions, 'neutral' with confidence 0)
rather than guessed.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from warmline.domain.insight.frustration import NONE, read_frustration
from warmline.domain.insight.message_text import MessageText, feelings_text, words
from warmline.domain.insight.readings import (
    FAST,
    NEGATIVE,
    NEUTRAL,
    POLARITY,
    REFINED,
    MessageInsight,
)
from warmline.models.files import array_text, pack, shipped, text_array, unpack
from warmline.models.language import detect_language
from warmline.models.linear_scores import linear_arrays, linear_parts, sigmoid, softmax
from warmline.models.ngrams import NgramFeatures

KIND = "warmline.feelings"
FEELINGS_FILE = "feelings.npz"
#: The emotions whose strength is the "annoyed" evidence of frustration.
ANNOYED = ("anger", "annoyance", "disappointment", "disapproval")
#: Emotions of one valence, dropped from a message whose polarity clearly reads the other
#: way (the polarity head, trained on tweets to companies, knows valence better than the
#: emotion columns, trained on Reddit comments).
POSITIVE_EMOTIONS = frozenset(
    {
        "admiration",
        "amusement",
        "approval",
        "caring",
        "desire",
        "excitement",
        "gratitude",
        "joy",
        "love",
        "optimism",
        "pride",
        "relief",
    }
)
NEGATIVE_EMOTIONS = frozenset(
    {
        "anger",
        "annoyance",
        "disappointment",
        "disapproval",
        "disgust",
        "embarrassment",
        "fear",
        "grief",
        "nervousness",
        "remorse",
        "sadness",
    }
)
#: The polarity confidence at which emotions of the other valence are dropped.
CLEAR_POLARITY = 0.6
#: An emoji-only message is never read with more confidence than this.
EMOJI_CONFIDENCE = 0.6
_Array = NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Scores:
    """Probabilities for a batch: polarity (rows x 3), emotions and Ekman groups."""

    polarity: _Array
    emotions: _Array
    ekman: _Array

    def rows(self, index: Sequence[int] | NDArray[np.intp]) -> Scores:
        return Scores(self.polarity[index], self.emotions[index], self.ekman[index])


@dataclass(frozen=True, slots=True)
class Decisions:
    """How probabilities become labels (one set for the fast reading, one for the refined)."""

    shift: _Array
    """Added to the log-probabilities of the three polarity classes before the argmax."""
    thresholds: _Array
    """Per emotion: reported at or above this probability."""
    ekman_thresholds: _Array

    def arrays(self, prefix: str) -> dict[str, _Array]:
        return {
            f"{prefix}shift": self.shift,
            f"{prefix}thresholds": self.thresholds,
            f"{prefix}ekman_thresholds": self.ekman_thresholds,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, NDArray[np.generic]], prefix: str) -> Decisions:
        return cls(
            *(
                np.asarray(arrays[f"{prefix}{name}"], np.float32)
                for name in ("shift", "thresholds", "ekman_thresholds")
            )
        )


class Opinion(Protocol):
    """The second opinion: the same three groups of probabilities from another model."""

    def scores(self, texts: Sequence[str]) -> Scores: ...


def decide_polarity(probabilities: _Array, shift: _Array) -> tuple[NDArray[np.intp], _Array]:
    """Label index per row (argmax of log-probability plus ``shift``), and its confidence:
    the probability of the label, renormalised after the shift."""
    adjusted = softmax(np.log(np.maximum(probabilities, 1e-9)) + shift)
    chosen = adjusted.argmax(axis=1)
    return chosen, adjusted[np.arange(len(chosen)), chosen]


def _above(probability: _Array, threshold: _Array) -> _Array:
    """A probability's log-odds less its threshold's."""
    p = np.clip(probability, 1e-6, 1 - 1e-6)
    t = np.clip(threshold, 1e-6, 1 - 1e-6)
    above: _Array = np.log(p / (1 - p)) - np.log(t / (1 - t))
    return above


def strength(probability: _Array, threshold: _Array) -> _Array:
    """How clearly a probability clears its threshold: 0.5 at the threshold, towards 1 far
    above it, towards 0 far below (the odds relative to the threshold's odds)."""
    return sigmoid(_above(probability, threshold))


def emotion_margin(probability: _Array, threshold: _Array) -> _Array:
    """Per row, how close the nearest column comes to its threshold, in log-odds."""
    margin: _Array = np.abs(_above(probability, threshold)).min(axis=1)
    return margin


class FeelingsModel:
    """Polarity, emotions and Ekman groups from one sparse matrix product per batch."""

    def __init__(
        self,
        features: NgramFeatures,
        emotions: Sequence[str],
        ekman: Sequence[str],
        weights: NDArray[np.floating],
        bias: NDArray[np.floating],
        *,
        temperature: float,
        fast: Decisions,
        refined: Decisions,
        blend: float = 0.5,
        emotion_blend: float | None = None,
        unsure_below: float = 0.0,
        emotions_unsure_within: float = 0.0,
        languages: Sequence[str] = ("en",),
    ):
        """``weights`` has the three :data:`POLARITY` columns, then one per emotion, then
        one per Ekman group."""
        columns = len(POLARITY) + len(emotions) + len(ekman)
        if weights.shape != (features.size, columns):
            raise ValueError("weights must be features x (3 polarity + emotions + ekman)")
        self.features = features
        self.emotions = tuple(emotions)
        self.ekman_labels = tuple(ekman)
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.temperature = float(temperature)
        self.fast = fast
        self.refined = refined
        self.blend = float(blend)
        self.emotion_blend = float(blend if emotion_blend is None else emotion_blend)
        self.unsure_below = float(unsure_below)
        self.emotions_unsure_within = float(emotions_unsure_within)
        self.languages = frozenset(languages)
        self.english = frozenset(g for g in features.word_vocab if " " not in g)
        self._annoyed = [self.emotions.index(e) for e in ANNOYED if e in self.emotions]

    def scores(self, texts: Sequence[str]) -> Scores:
        """Probabilities of prepared texts (the fast model's)."""
        n_emotions = len(self.emotions)
        if not texts:
            return Scores(
                np.zeros((0, 3), np.float32),
                np.zeros((0, n_emotions), np.float32),
                np.zeros((0, len(self.ekman_labels)), np.float32),
            )
        raw = self.features.transform(texts) @ self.weights + self.bias
        return Scores(
            softmax(raw[:, :3] / self.temperature),
            sigmoid(raw[:, 3 : 3 + n_emotions]),
            sigmoid(raw[:, 3 + n_emotions :]),
        )

    def combined(self, fast: Scores, second: Scores) -> Scores:
        """The refined probabilities: the fast and the second opinion's, averaged with the
        weight chosen for polarity (:attr:`blend`) and for emotions (:attr:`emotion_blend`)."""
        w, e = self.blend, self.emotion_blend
        return Scores(
            (1 - w) * fast.polarity + w * second.polarity,
            (1 - e) * fast.emotions + e * second.emotions,
            (1 - e) * fast.ekman + e * second.ekman,
        )

    def unsure(self, fast: Scores) -> NDArray[np.bool_]:
        """Which fast readings a second opinion should read again: the polarity's
        confidence is below :attr:`unsure_below`, or an emotion group's log-odds is within
        :attr:`emotions_unsure_within` of its threshold's (shown or not by a hair)."""
        unsure = decide_polarity(fast.polarity, self.fast.shift)[1] < self.unsure_below
        if self.emotions_unsure_within > 0 and len(fast.ekman):
            unsure |= emotion_margin(fast.ekman, self.fast.ekman_thresholds) < (
                self.emotions_unsure_within
            )
        return unsure

    def analyse(self, texts: Sequence[str]) -> list[MessageInsight]:
        """The fast reading of each message, in order."""
        return self._read(texts, None)

    def refine(self, texts: Sequence[str], opinion: Opinion) -> list[MessageInsight]:
        """The refined reading of each message (the second opinion asked about them all)."""
        return self._read(texts, opinion)

    def ekman(self, texts: Sequence[str], opinion: Opinion | None = None) -> NDArray[np.bool_]:
        """Which Ekman groups each text shows (rows x groups), fast or refined; for
        comparison with published figures."""
        prepared = [feelings_text(t).text for t in texts]
        scores = self.scores(prepared)
        decisions = self.fast
        if opinion is not None:
            scores, decisions = self.combined(scores, opinion.scores(texts)), self.refined
        return scores.ekman >= decisions.ekman_thresholds

    def _read(self, texts: Sequence[str], opinion: Opinion | None) -> list[MessageInsight]:
        prepared = [feelings_text(text) for text in texts]
        languages = [self._language(m) for m in prepared]
        readable = [
            i
            for i, (m, lang) in enumerate(zip(prepared, languages, strict=True))
            if not m.empty and (m.emoji_only or lang in self.languages)
        ]
        fast = self.scores([prepared[i].text for i in readable])
        unsure = self.unsure(fast)
        scores, decisions, reading = fast, self.fast, FAST
        if opinion is not None:
            second = opinion.scores([texts[i] for i in readable])
            scores, decisions, reading = self.combined(fast, second), self.refined, REFINED
        chosen, confidence = decide_polarity(scores.polarity, decisions.shift)
        emotion_strength = strength(scores.emotions, decisions.thresholds)
        found: dict[int, MessageInsight] = {}
        for row, i in enumerate(readable):
            message = prepared[i]
            p = scores.polarity[row]
            label, sure = POLARITY[int(chosen[row])], float(confidence[row])
            sentiment = float(p[2] - p[0])
            if message.emoji_only:
                label, sure, sentiment = self._emoji_polarity(emotion_strength[row])
            annoyed = float(emotion_strength[row, self._annoyed].max()) if self._annoyed else 0.0
            frustration = read_frustration(message.cased, annoyed, float(p[0]))
            if frustration.frustrated and frustration.words:
                # Frustration is a negative feeling: when the customer's own words show it
                # ("Fine, I'll call", "third time asking"), the message is not neutral or
                # pleased, however politely it is put; at least as sure as the frustration.
                sure = max(sure if label == NEGATIVE else 0.0, frustration.score)
                label = NEGATIVE
                sentiment = min(sentiment, -frustration.score)
            emotions = self._emotions(emotion_strength[row], label, sure)
            found[i] = MessageInsight(
                sentiment=round(sentiment, 3),
                emotions=emotions,
                language=languages[i],
                supported=True,
                emoji_only=message.emoji_only,
                truncated=message.truncated,
                label=label,
                confidence=round(sure, 3),
                frustration=frustration.score,
                frustration_words=frustration.words,
                reading=reading,
                unsure=bool(unsure[row]),
            )
        return [
            found.get(i)
            or MessageInsight(
                sentiment=0.0,
                emotions=(),
                language=languages[i],
                supported=False,
                empty=m.empty,
                emoji_only=m.emoji_only,
                truncated=m.truncated,
                label=NEUTRAL,
                confidence=0.0,
                frustration=NONE.score,
            )
            for i, m in enumerate(prepared)
        ]

    def _emotions(
        self, strengths: _Array, label: str, confidence: float
    ) -> tuple[tuple[str, float], ...]:
        """The emotions over their line, strongest first, without those of the other
        valence when the polarity is clear."""
        contrary: frozenset[str] = frozenset()
        if confidence >= CLEAR_POLARITY:
            contrary = {"negative": POSITIVE_EMOTIONS, "positive": NEGATIVE_EMOTIONS}.get(
                label, frozenset()
            )
        return tuple(
            (self.emotions[k], round(float(strengths[k]), 3))
            for k in np.argsort(-strengths)
            if strengths[k] >= 0.5 and self.emotions[k] not in contrary
        )

    def _emoji_polarity(self, strengths: _Array) -> tuple[str, float, float]:
        """Label, confidence and sentiment of an emoji-only message, from the emotions its
        emoji name (the tweets the polarity head learned from have few): weak evidence,
        so never more confident than :data:`EMOJI_CONFIDENCE`."""
        shown = {self.emotions[k]: float(v) for k, v in enumerate(strengths) if v >= 0.5}
        positive = max((v for k, v in shown.items() if k in POSITIVE_EMOTIONS), default=0.0)
        negative = max((v for k, v in shown.items() if k in NEGATIVE_EMOTIONS), default=0.0)
        if positive == negative:
            return NEUTRAL, 0.5, 0.0
        label = "positive" if positive > negative else "negative"
        return label, min(EMOJI_CONFIDENCE, max(positive, negative)), positive - negative

    def _language(self, message: MessageText) -> str | None:
        if message.empty or not message.has_letters:
            return None
        return detect_language(message.text, words(message.text), self.english)

    def to_bytes(self) -> bytes:
        """The model as a compressed npz (int8 weights with a scale per column)."""
        labels = [*POLARITY, *self.emotions, *self.ekman_labels]
        arrays = linear_arrays(self.features, labels, self.languages, self.weights, self.bias)
        arrays["emotions"] = text_array(self.emotions)
        arrays["ekman"] = text_array(self.ekman_labels)
        arrays |= self.fast.arrays("fast_") | self.refined.arrays("refined_")
        header = {
            "version": 1,
            "temperature": self.temperature,
            "blend": self.blend,
            "emotion_blend": self.emotion_blend,
            "unsure_below": self.unsure_below,
            "emotions_unsure_within": self.emotions_unsure_within,
        }
        return pack(KIND, header, arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> FeelingsModel:
        """Load a model written by :meth:`to_bytes`."""
        header, arrays = unpack(KIND, data)
        parts = linear_parts(arrays)
        return cls(
            parts.features,
            array_text(arrays["emotions"]),
            array_text(arrays["ekman"]),
            parts.weights,
            parts.bias,
            temperature=float(header["temperature"]),
            fast=Decisions.from_arrays(arrays, "fast_"),
            refined=Decisions.from_arrays(arrays, "refined_"),
            blend=float(header["blend"]),
            emotion_blend=float(header.get("emotion_blend", header["blend"])),
            unsure_below=float(header["unsure_below"]),
            emotions_unsure_within=float(header.get("emotions_unsure_within", 0.0)),
            languages=parts.languages,
        )


@functools.cache
def default_feelings_model() -> FeelingsModel:
    """The shipped feelings model (loaded once per process)."""
    return FeelingsModel.from_bytes(shipped(FEELINGS_FILE))


def analyse_messages(texts: Sequence[str]) -> list[MessageInsight]:
    """The fast reading of each message: label, confidence, sentiment, emotions,
    frustration, language and input flags, batch-first.

    Call it once per batch: the cost is one sparse matrix product for the batch plus
    tens of microseconds per message. Messages longer than ``MAX_CHARS`` characters are
    read up to that length.
    """
    return default_feelings_model().analyse(texts)
