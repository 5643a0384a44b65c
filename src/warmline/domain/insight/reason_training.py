"""Training a reason model from labelled texts, with an honest held-out report.

1. Reasons with fewer than :data:`MIN_EXAMPLES` examples are left out and reported.
2. A stratified split holds out :data:`HELD_OUT` of the rest. A model fitted on the
   remainder gives the held-out accuracy, the temperature that calibrates its
   probabilities, and the unknown threshold: if texts that are *not* about any
   reason are given (``outside_texts``), the threshold that best separates them from
   held-out messages while keeping at least :data:`MIN_KEPT` of the latter; if not,
   the one that keeps :data:`KEEP_WITHOUT_OUTSIDE` of held-out messages.
3. The final model is refitted on every kept example with the same settings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix, hstack
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from warmline.domain.insight.emotions import default_emotion_model
from warmline.domain.insight.language import detect_language
from warmline.domain.insight.linear_scores import softmax
from warmline.domain.insight.message_text import MessageText, prepare, words
from warmline.domain.insight.ngrams import NgramFeatures
from warmline.domain.insight.reasons import ReasonModel, TrainReport
from warmline.domain.insight.sentence_vectors import sentence_vectors

MIN_EXAMPLES = 5
HELD_OUT = 0.2
MIN_KEPT = 0.9
KEEP_WITHOUT_OUTSIDE = 0.95
#: A language must be at least this share of the training texts to be supported.
LANGUAGE_SHARE = 0.1
# The embedding view is scaled up to weigh about as much as the two n-gram blocks (chosen,
# with the regularisation, on a held-out split of Banking77 train).
EMBEDDING_SCALE = 1.5
_TEMPERATURES = np.exp(np.linspace(np.log(0.2), np.log(5.0), 61))


@dataclass(frozen=True, slots=True)
class _Fitted:
    features: NgramFeatures
    fit: LogisticRegression
    embeddings: bool

    def logits(self, messages: Sequence[MessageText]) -> NDArray[np.float64]:
        x = _matrix(self.features, messages, self.embeddings)
        scores = np.asarray(self.fit.decision_function(x), dtype=np.float64)
        if scores.ndim == 1:
            # Two reasons: scikit-learn gives one margin z; softmax(-z/2, z/2) = logistic(z).
            scores = np.column_stack([-scores / 2, scores / 2])
        return scores

    def weights(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Coefficients (features x reasons) and intercepts, one column per reason."""
        coef = np.asarray(self.fit.coef_, dtype=np.float64)
        intercept = np.asarray(self.fit.intercept_, dtype=np.float64)
        if coef.shape[0] == 1:
            coef, intercept = (
                np.vstack([-coef / 2, coef / 2]),
                np.concatenate([-intercept / 2, intercept / 2]),
            )
        return coef.T, intercept


def _matrix(
    features: NgramFeatures, messages: Sequence[MessageText], embeddings: bool
) -> csr_matrix:
    x = features.transform([m.text for m in messages])
    if not embeddings:
        return x
    vectors = sentence_vectors([m.cased for m in messages])
    return hstack([x, csr_matrix(vectors * EMBEDDING_SCALE)]).tocsr()


def _fit(
    messages: Sequence[MessageText],
    labels: Sequence[str],
    c: float,
    embeddings: bool,
    min_df: int,
) -> _Fitted:
    features = NgramFeatures.fit([m.text for m in messages], min_df=min_df)
    x = _matrix(features, messages, embeddings)
    return _Fitted(features, LogisticRegression(C=c, max_iter=3000).fit(x, labels), embeddings)


def calibrate_temperature(logits: NDArray[np.floating], truth: NDArray[np.int64]) -> float:
    """The temperature minimising held-out negative log-likelihood."""
    best, best_loss = 1.0, np.inf
    rows = np.arange(len(truth))
    for t in _TEMPERATURES:
        p = softmax(logits / t)
        loss = -float(np.log(np.maximum(p[rows, truth], 1e-12)).mean())
        if loss < best_loss:
            best, best_loss = float(t), loss
    return best


def choose_threshold(inside: NDArray[np.floating], outside: NDArray[np.floating]) -> float:
    """Confidence below which a text is unknown (see the module docstring)."""
    if len(outside) == 0:
        return float(np.quantile(inside, 1 - KEEP_WITHOUT_OUTSIDE))
    best, best_score = 0.0, -1.0
    for t in np.unique(np.concatenate([inside, outside])):
        kept = float((inside >= t).mean())
        if kept < MIN_KEPT:
            break
        score = (kept + float((outside < t).mean())) / 2
        if score > best_score:
            best, best_score = float(t), score
    return best


def supported_languages(messages: Sequence[MessageText]) -> tuple[str, ...]:
    """Languages making up at least :data:`LANGUAGE_SHARE` of the texts (English if none)."""
    english = default_emotion_model().english
    found = Counter(detect_language(m.text, words(m.text), english) for m in messages)
    found.pop(None, None)
    share = LANGUAGE_SHARE * len(messages)
    common = sorted(str(lang) for lang, n in found.items() if n >= share)
    return tuple(common) or ("en",)


def train_reason_model(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    seed: int = 0,
    outside_texts: Sequence[str] = (),
    regularisation: float = 10.0,
    embeddings: bool = True,
    min_df: int = 1,
) -> tuple[ReasonModel, TrainReport]:
    """Fit, evaluate on a held-out split, pick temperature and threshold, refit on all."""
    if len(texts) != len(labels):
        raise ValueError("texts and labels must have the same length")
    counts = Counter(labels)
    too_few = tuple(sorted(label for label, n in counts.items() if n < MIN_EXAMPLES))
    kept = [(prepare(t), y) for t, y in zip(texts, labels, strict=True) if y not in too_few]
    kept = [(m, y) for m, y in kept if not m.empty]
    if len({y for _, y in kept}) < 2:
        raise ValueError(f"need at least two reasons with {MIN_EXAMPLES} or more examples each")
    prepared, targets = [t for t, _ in kept], [y for _, y in kept]
    train_x, test_x, train_y, test_y = train_test_split(
        prepared, targets, test_size=HELD_OUT, stratify=targets, random_state=seed
    )
    fitted = _fit(train_x, train_y, regularisation, embeddings, min_df)
    classes = list(fitted.fit.classes_)
    truth = np.array([classes.index(y) for y in test_y], dtype=np.int64)
    held_logits = fitted.logits(test_x)
    temperature = calibrate_temperature(held_logits, truth)
    held = softmax(held_logits / temperature)
    inside = held.max(axis=1)
    outside_messages = [m for m in map(prepare, outside_texts) if not m.empty]
    outside = (
        softmax(fitted.logits(outside_messages) / temperature).max(axis=1)
        if outside_messages
        else np.zeros(0)
    )
    threshold = choose_threshold(inside, outside)
    right = held.argmax(axis=1) == truth
    known = inside >= threshold

    final = _fit(prepared, targets, regularisation, embeddings, min_df)
    coef, intercept = final.weights()
    n = final.features.size
    model = ReasonModel(
        final.features,
        [str(c) for c in final.fit.classes_],
        coef[:n],
        coef[n:] * EMBEDDING_SCALE if embeddings else None,
        intercept,
        temperature=temperature,
        threshold=threshold,
        languages=supported_languages(prepared),
    )
    # What the caller holds behaves exactly like what they will store (int8 weights).
    model = ReasonModel.from_bytes(model.to_bytes())
    report = TrainReport(
        examples=len(prepared),
        held_out=len(test_x),
        held_out_accuracy=float(right.mean()),
        held_out_unknown_share=float(1 - known.mean()),
        accuracy_when_known=float(right[known].mean()) if known.any() else 0.0,
        outside_unknown_share=float((outside < threshold).mean()) if len(outside) else None,
        threshold=threshold,
        temperature=temperature,
        counts=dict(sorted(counts.items())),
        too_few=too_few,
        languages=tuple(sorted(model.languages)),
        min_examples=MIN_EXAMPLES,
    )
    return model, report
