"""Training a reason model from labelled texts, with an honest held-out report.

1. Reasons with fewer than :data:`MIN_EXAMPLES` examples are left out and reported.
2. A stratified split holds out :data:`HELD_OUT` of the rest (and of the off-topic
   ``outside_texts``, if given). A model fitted on the remainder gives the held-out
   accuracy, the temperature that calibrates its probabilities, and the unknown
   threshold. With off-topic texts, a topic gate (on-topic against off-topic) is
   trained too, and the threshold is the highest that costs at most
   :data:`ACCURACY_COST` of held-out accuracy, unknown counted wrong (off-topic texts the
   gate lets through are then unknown as often as that allows); without, the one that
   keeps :data:`KEEP_WITHOUT_OUTSIDE` of the held-out messages.
3. The final model (and gate) is refitted on everything with the same settings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix, hstack
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from warmline.domain.insight.message_text import MessageText, prepare, words
from warmline.models.feelings import default_feelings_model
from warmline.models.language import detect_language
from warmline.models.linear_scores import softmax
from warmline.models.ngrams import NgramFeatures
from warmline.models.reason_encoder import SECOND_OPINION_SHARE
from warmline.models.reasons import GATE, ReasonModel, TopicGate
from warmline.models.word_vectors import sentence_vectors

MIN_EXAMPLES = 5
HELD_OUT = 0.2
MIN_KEPT = 0.9
#: With off-topic texts, the unknown threshold may cost at most this much held-out accuracy
#: (unknown counted wrong) beyond what the topic gate costs.
ACCURACY_COST = 0.005
#: Fewer off-topic texts than this are not enough to train a topic gate on.
MIN_OUTSIDE = 10
GATE_REGULARISATION = 1.0
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


@dataclass(frozen=True, slots=True)
class TrainReport:
    """How a trained reason model did on data it did not see."""

    examples: int
    """Examples used (after leaving out reasons with too few)."""
    held_out: int
    held_out_accuracy: float
    """Share of held-out messages whose best reason is the right one."""
    held_out_unknown_share: float
    """Share of held-out messages the threshold calls unknown."""
    accuracy_when_known: float
    """Accuracy on the held-out messages that were not called unknown."""
    outside_unknown_share: float | None
    """Share of held-out off-topic texts called unknown (None if none were given)."""
    threshold: float
    temperature: float
    outside_held_out: int = 0
    """Off-topic texts held out to measure that share."""
    counts: dict[str, int] = field(default_factory=dict)
    """Examples per reason, every reason given."""
    too_few: tuple[str, ...] = ()
    """Reasons left out for having fewer than ``min_examples`` examples."""
    languages: tuple[str, ...] = ("en",)
    min_examples: int = 5
    second_opinion_below: float = 0.0
    """Confidence under which the least sure share of held-out messages fall (see
    :mod:`warmline.models.reason_encoder`)."""

    def lines(self) -> list[str]:
        """The report in sentences, for a command line."""
        out = [
            f"{self.examples} examples of {len(self.counts) - len(self.too_few)} reasons; "
            f"held-out accuracy {self.held_out_accuracy:.1%} on {self.held_out} messages",
            f"unknown below {self.threshold:.2f} confidence"
            + (" or off-topic" if self.outside_held_out else "")
            + f": {self.held_out_unknown_share:.1%} "
            f"of held-out messages, which are then right {self.accuracy_when_known:.1%}"
            " of the time",
        ]
        if self.outside_unknown_share is not None:
            out.append(
                f"{self.outside_unknown_share:.1%} of {self.outside_held_out} held-out off-topic"
                " texts come out unknown"
            )
        if self.too_few:
            out.append(
                f"left out (fewer than {self.min_examples} examples): " + ", ".join(self.too_few)
            )
        return out


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


def _fit_gate(
    features: NgramFeatures,
    inside: Sequence[MessageText],
    outside: Sequence[MessageText],
    embeddings: bool,
) -> LogisticRegression:
    """On-topic (1) against off-topic (0), each side weighted equally whatever its size."""
    x = _matrix(features, [*inside, *outside], embeddings)
    y = np.r_[np.ones(len(inside)), np.zeros(len(outside))]
    return LogisticRegression(C=GATE_REGULARISATION, max_iter=3000, class_weight="balanced").fit(
        x, y
    )


def _gated(
    confidence: NDArray[np.floating],
    gate: LogisticRegression | None,
    fitted: _Fitted,
    messages: Sequence[MessageText],
) -> NDArray[np.floating]:
    """Confidences, with 0 for messages the gate calls off-topic."""
    if gate is None or not len(messages):
        return confidence
    on_topic = gate.predict_proba(_matrix(fitted.features, messages, fitted.embeddings))[:, 1]
    return np.where(on_topic >= GATE, confidence, 0.0)


def _topic_gate(gate: LogisticRegression, features: NgramFeatures, embeddings: bool) -> TopicGate:
    coef = gate.coef_.ravel()
    n = features.size
    return TopicGate(
        coef[:n].astype(np.float32),
        (coef[n:] * EMBEDDING_SCALE).astype(np.float32) if embeddings else None,
        float(gate.intercept_[0]),
    )


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


def choose_threshold(
    inside: NDArray[np.floating],
    outside: NDArray[np.floating],
    right: NDArray[np.bool_] | None = None,
) -> float:
    """Confidence below which a text is unknown (see the module docstring)."""
    if len(outside) == 0:
        return float(np.quantile(inside, 1 - KEEP_WITHOUT_OUTSIDE))
    if right is not None:
        # The highest threshold that costs at most ACCURACY_COST of held-out accuracy
        # (unknown counted wrong): as much off-topic text unknown as that buys.
        floor = float((right & (inside > 0)).mean()) - ACCURACY_COST
        best = 0.0
        for t in np.unique(inside[inside > 0]):
            if float((right & (inside >= t)).mean()) < floor:
                break
            best = float(t)
        return best
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
    english = default_feelings_model().english
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
    outside_all = [m for m in map(prepare, outside_texts) if not m.empty]
    out_train: Sequence[MessageText] = []
    out_test: Sequence[MessageText] = []
    if len(outside_all) >= MIN_OUTSIDE:
        out_train, out_test = train_test_split(outside_all, test_size=HELD_OUT, random_state=seed)
    fitted = _fit(train_x, train_y, regularisation, embeddings, min_df)
    gate = _fit_gate(fitted.features, train_x, out_train, embeddings) if out_train else None
    classes = list(fitted.fit.classes_)
    truth = np.array([classes.index(y) for y in test_y], dtype=np.int64)
    held_logits = fitted.logits(test_x)
    temperature = calibrate_temperature(held_logits, truth)
    held = softmax(held_logits / temperature)
    inside = _gated(held.max(axis=1), gate, fitted, test_x)
    outside = (
        _gated(softmax(fitted.logits(out_test) / temperature).max(axis=1), gate, fitted, out_test)
        if out_test
        else np.zeros(0)
    )
    right = held.argmax(axis=1) == truth
    threshold = choose_threshold(inside, outside, right)
    known = inside >= threshold

    final = _fit(prepared, targets, regularisation, embeddings, min_df)
    final_gate = (
        _topic_gate(
            _fit_gate(final.features, prepared, outside_all, embeddings), final.features, embeddings
        )
        if out_train
        else None
    )
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
        gate=final_gate,
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
        outside_held_out=len(outside),
        threshold=threshold,
        temperature=temperature,
        counts=dict(sorted(counts.items())),
        too_few=too_few,
        languages=tuple(sorted(model.languages)),
        min_examples=MIN_EXAMPLES,
        second_opinion_below=float(np.quantile(held.max(axis=1), SECOND_OPINION_SHARE)),
    )
    return model, report
