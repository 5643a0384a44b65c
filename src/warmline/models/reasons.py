"""The reason for contact, from the customer's own words, or 'unknown' when none fits.

A multinomial logistic regression over two cheap views of a message: word and character
n-gram TF-IDF (:mod:`~warmline.models.ngrams`) and a static sentence embedding
(:mod:`~warmline.models.word_vectors`). Its probabilities are temperature-scaled on
held-out data, and a message whose best reason is less likely than a threshold (also
chosen on held-out data, see :mod:`warmline.training.reasons`) is reported as unknown,
with why.

The shipped default is trained on Banking77's train split (CC BY 4.0, see
``shipped/ATTRIBUTION.md``), and asks a fine-tuned MiniLM for a second opinion on the
messages it is least sure of (:mod:`~warmline.models.reason_encoder`); an organisation
trains its own (linear only) from the reasons of its ended interactions with
:func:`warmline.training.reasons.train_reason_model` and stores
:meth:`ReasonModel.to_bytes`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from warmline.domain.insight.message_text import MessageText, prepare, words
from warmline.domain.insight.readings import ReasonPrediction
from warmline.models.feelings import default_feelings_model
from warmline.models.files import ModelFileError, pack, shipped, unpack
from warmline.models.language import detect_language
from warmline.models.linear_scores import (
    dequantise,
    linear_arrays,
    linear_parts,
    quantise,
    sigmoid,
    softmax,
)
from warmline.models.ngrams import NgramFeatures
from warmline.models.reason_encoder import (
    SecondOpinion,
    blend,
    reasons_fingerprint,
    shipped_second_opinion,
)
from warmline.models.word_vectors import EMBEDDING, sentence_vectors

KIND = "warmline.reasons"
REASON_FILE = "banking77_reasons.npz"
TOP = 3
#: Below this on-topic probability (from the topic gate), a message is about no reason.
GATE = 0.5
NO_MATCH = "no known reason matches"
EMPTY = "empty"


@dataclass(frozen=True, slots=True)
class TopicGate:
    """Tells messages about the organisation's business from anything else (chit-chat).

    A logistic regression on the same features, trained when off-topic examples were
    given (``outside_texts``); a message it scores below one half is unknown.
    """

    weights: NDArray[np.float32]
    embedding_weights: NDArray[np.float32] | None
    bias: float


class ReasonModel:
    """Scores texts against an organisation's reasons; see the module docstring."""

    def __init__(
        self,
        features: NgramFeatures,
        labels: Sequence[str],
        weights: NDArray[np.floating],
        embedding_weights: NDArray[np.floating] | None,
        bias: NDArray[np.floating],
        *,
        temperature: float = 1.0,
        threshold: float = 0.0,
        languages: Sequence[str] = ("en",),
        gate: TopicGate | None = None,
        second_opinion: SecondOpinion | None = None,
    ):
        if weights.shape != (features.size, len(labels)):
            raise ValueError("weights must be features x labels")
        if gate is not None and gate.weights.shape != (features.size,):
            raise ValueError("the topic gate needs one weight per feature")
        if second_opinion is not None and second_opinion.fingerprint != reasons_fingerprint(labels):
            raise ValueError("a second opinion must know the same reasons, in the same order")
        self.features = features
        self.labels = tuple(labels)
        self.weights = np.asarray(weights, dtype=np.float32)
        self.embedding_weights = (
            None if embedding_weights is None else np.asarray(embedding_weights, dtype=np.float32)
        )
        self.bias = np.asarray(bias, dtype=np.float32)
        self.temperature = float(temperature)
        self.threshold = float(threshold)
        self.languages = frozenset(languages)
        self.gate = gate
        self.second_opinion = second_opinion
        # One matrix product scores the reasons and the gate together.
        gate_column = np.zeros(features.size, np.float32) if gate is None else gate.weights
        self._weights = np.column_stack([self.weights, gate_column]).astype(np.float32)
        self._bias = np.append(self.bias, 0.0 if gate is None else gate.bias).astype(np.float32)
        self._embedding = self._embedding_columns()
        own = {gram for gram in features.word_vocab if " " not in gram}
        # The model's own words count as English only if it reads English (banking
        # jargon like "gbp" is not in the general lexicon).
        self._lexicon = default_feelings_model().english | own if "en" in self.languages else own

    def _embedding_columns(self) -> NDArray[np.float32] | None:
        if self.embedding_weights is None:
            return None
        gate = self.gate.embedding_weights if self.gate else None
        column = np.zeros(len(self.embedding_weights), np.float32) if gate is None else gate
        return np.column_stack([self.embedding_weights, column]).astype(np.float32)

    def scores(
        self, messages: Sequence[MessageText]
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Calibrated reason probabilities (rows x labels) and the gate's on-topic probability."""
        if not messages:
            return np.zeros((0, len(self.labels)), np.float32), np.zeros(0, np.float32)
        raw = self.features.transform([m.text for m in messages]) @ self._weights + self._bias
        if self._embedding is not None:
            raw += sentence_vectors([m.cased for m in messages]) @ self._embedding
        on_topic = sigmoid(raw[:, -1]) if self.gate else np.ones(len(messages), np.float32)
        probabilities = softmax(raw[:, :-1] / self.temperature)
        if self.second_opinion is not None:
            # Off-topic messages are unknown whatever the reasons score: not worth asking.
            texts = [m.cased for m in messages]
            probabilities = blend(probabilities, texts, self.second_opinion, on_topic >= GATE)
        return probabilities, on_topic

    def predict(self, texts: Sequence[str]) -> list[ReasonPrediction]:
        """The likely reason of each text (e.g. the first customer messages of a contact)."""
        prepared = [prepare(text) for text in texts]
        why = [self._refusal(m) for m in prepared]
        scored = [i for i, reason in enumerate(why) if reason is None]
        probabilities, on_topic = self.scores([prepared[i] for i in scored])
        found: dict[int, ReasonPrediction] = {}
        for i, row, topical in zip(scored, probabilities, on_topic, strict=True):
            order = np.argsort(-row)[:TOP]
            top = tuple((self.labels[k], round(float(row[k]), 4)) for k in order)
            confidence = top[0][1]
            known = self.features.known_words(words(prepared[i].text)) > 0
            if known and topical >= GATE and confidence >= self.threshold:
                found[i] = ReasonPrediction(top[0][0], confidence, top)
            else:
                found[i] = ReasonPrediction(None, confidence, top, NO_MATCH)
        return [
            found.get(i) or ReasonPrediction(None, 0.0, (), reason) for i, reason in enumerate(why)
        ]

    def _refusal(self, message: MessageText) -> str | None:
        if message.empty:
            return EMPTY
        if not message.has_letters:
            return NO_MATCH
        language = detect_language(message.text, words(message.text), self._lexicon)
        if language is not None and language not in self.languages:
            return f"language '{language}' not supported"
        return None

    def to_bytes(self) -> bytes:
        """The model as compressed npz bytes (int8 n-gram weights), for the database."""
        arrays = linear_arrays(self.features, self.labels, self.languages, self.weights, self.bias)
        if self.embedding_weights is not None:
            arrays["embedding_weights"] = self.embedding_weights.astype(np.float16)
        if self.gate is not None:
            q, scale = quantise(self.gate.weights[:, None])
            arrays["gate_weights"], arrays["gate_scale"] = q.ravel(), scale
            if self.gate.embedding_weights is not None:
                arrays["gate_embedding_weights"] = self.gate.embedding_weights.astype(np.float16)
        header = {
            "version": 1,
            "temperature": self.temperature,
            "threshold": self.threshold,
            "embedding": EMBEDDING if self.embedding_weights is not None else None,
            "gate_bias": None if self.gate is None else self.gate.bias,
        }
        return pack(KIND, header, arrays)

    @classmethod
    def from_bytes(cls, data: bytes, second_opinion: SecondOpinion | None = None) -> ReasonModel:
        """Load a model written by :meth:`to_bytes` (the second opinion is not stored)."""
        header, arrays = unpack(KIND, data)
        embedding = header.get("embedding")
        if embedding not in (None, EMBEDDING):
            raise ModelFileError(f"model needs embedding {embedding!r}, this build has {EMBEDDING}")
        embedding_weights = arrays.get("embedding_weights")
        parts = linear_parts(arrays)
        gate = None
        if header.get("gate_bias") is not None:
            gate_embedding = arrays.get("gate_embedding_weights")
            gate = TopicGate(
                dequantise(
                    arrays["gate_weights"].astype(np.int8)[:, None],
                    arrays["gate_scale"].astype(np.float32),
                ).ravel(),
                None if gate_embedding is None else gate_embedding.astype(np.float32),
                float(header["gate_bias"]),
            )
        return cls(
            parts.features,
            parts.labels,
            parts.weights,
            None if embedding_weights is None else embedding_weights.astype(np.float32),
            parts.bias,
            temperature=float(header["temperature"]),
            threshold=float(header["threshold"]),
            languages=parts.languages,
            gate=gate,
            second_opinion=second_opinion,
        )


@functools.cache
def default_reason_model() -> ReasonModel:
    """The shipped banking model (Banking77's 77 intents) with its second opinion;
    loaded once per process."""
    return ReasonModel.from_bytes(shipped(REASON_FILE), second_opinion=shipped_second_opinion())


def reason_model(model_id: str, data: bytes | None) -> ReasonModel:
    """The reason model in force: trained (``data``, parsed once per process per model) or,
    when nothing was trained, the shipped one."""
    return default_reason_model() if data is None else _trained(model_id, data)


@functools.lru_cache(maxsize=4)
def _trained(model_id: str, data: bytes) -> ReasonModel:
    return ReasonModel.from_bytes(data)
