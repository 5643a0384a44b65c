"""Training the emotion model (``scripts/train_insight_models.py`` runs it on GoEmotions).

Each emotion is a one-vs-rest logistic regression on naive-Bayes-scaled TF-IDF
features (NB-LR, Wang & Manning 2012): every feature is scaled by how much more
often it appears with the emotion than without, which lifts rare emotions (fear,
disgust) well above plain TF-IDF. The scaling folds into the weights, so the
shipped model is still one matrix. Each emotion's decision threshold is the one
with the best F1 on the dev split; the test split is never looked at here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

from warmline.domain.insight.message_text import prepare
from warmline.models.emotions import EmotionModel
from warmline.models.linear_scores import sigmoid
from warmline.models.ngrams import NgramFeatures

#: Emotions whose presence makes a message negative, or positive, for the polarity head.
NEGATIVE = frozenset({"anger", "disgust", "fear", "sadness"})
POSITIVE = frozenset({"joy"})
_THRESHOLDS = np.linspace(0.02, 0.95, 94)


@dataclass(frozen=True, slots=True)
class EmotionTraining:
    """A trained model and how it did on the dev split (thresholds were tuned there)."""

    model: EmotionModel
    regularisation: float
    dev_f1: dict[str, float]


def polarity_targets(label_sets: Sequence[frozenset[str]]) -> NDArray[np.int64]:
    """0 negative, 1 neutral, 2 positive; -1 for mixed or ambiguous (left out of training)."""
    targets = []
    for labels in label_sets:
        negative, positive = bool(labels & NEGATIVE), bool(labels & POSITIVE)
        if negative != positive:
            targets.append(0 if negative else 2)
        elif labels == {"neutral"}:
            targets.append(1)
        else:
            targets.append(-1)
    return np.array(targets, dtype=np.int64)


def nb_ratios(x: csr_matrix, y: NDArray[np.int64], smoothing: float = 1.0) -> NDArray[np.float64]:
    """Log-count ratio of each feature's presence with and without the label."""
    present = (x > 0).astype(np.float64)
    with_label = smoothing + np.asarray(present[y == 1].sum(axis=0)).ravel()
    without = smoothing + np.asarray(present[y == 0].sum(axis=0)).ravel()
    return np.asarray(np.log((with_label / with_label.sum()) / (without / without.sum())))


def best_f1_threshold(y: NDArray[np.int64], p: NDArray[np.floating]) -> tuple[float, float]:
    """The probability threshold with the highest F1, and that F1."""
    best = (0.5, -1.0)
    positives = int(y.sum())
    for threshold in _THRESHOLDS:
        predicted = p >= threshold
        hits = int((predicted & (y == 1)).sum())
        f1 = 2 * hits / (int(predicted.sum()) + positives) if positives else 0.0
        if f1 > best[1]:
            best = (float(threshold), f1)
    return best


def train_emotion_model(
    texts: Sequence[str],
    label_sets: Sequence[frozenset[str]],
    dev_texts: Sequence[str],
    dev_label_sets: Sequence[frozenset[str]],
    labels: Sequence[str],
    *,
    regularisations: Sequence[float] = (0.5, 1.0, 2.0),
    min_df: int = 2,
) -> EmotionTraining:
    """Fit NB-LR per emotion and the polarity head; pick C and thresholds on dev."""
    train = [prepare(t).text for t in texts]
    dev = [prepare(t).text for t in dev_texts]
    features = NgramFeatures.fit(train, min_df=min_df)
    x, x_dev = features.transform(train), features.transform(dev)
    best: tuple[float, float, NDArray[np.float64], NDArray[np.float64], list[float], list[float]]
    best = (-1.0, 0.0, np.zeros(0), np.zeros(0), [], [])
    for c in regularisations:
        weights, bias, thresholds, f1s = [], [], [], []
        for label in labels:
            y = np.array([label in s for s in label_sets], dtype=np.int64)
            y_dev = np.array([label in s for s in dev_label_sets], dtype=np.int64)
            ratio = nb_ratios(x, y)
            fit = LogisticRegression(C=c, max_iter=2000).fit(x.multiply(ratio).tocsr(), y)
            w = fit.coef_.ravel() * ratio
            threshold, f1 = best_f1_threshold(y_dev, sigmoid(x_dev @ w + fit.intercept_[0]))
            weights.append(w)
            bias.append(float(fit.intercept_[0]))
            thresholds.append(threshold)
            f1s.append(f1)
        if float(np.mean(f1s)) > best[0]:
            best = (float(np.mean(f1s)), c, np.array(weights).T, np.array(bias), thresholds, f1s)
    _, c, w_emotion, b_emotion, thresholds, f1s = best
    polarity = polarity_targets(label_sets)
    keep = polarity >= 0
    head = LogisticRegression(C=c, max_iter=2000).fit(x[keep], polarity[keep])
    model = EmotionModel(
        features,
        labels,
        np.hstack([w_emotion, head.coef_.T]),
        np.concatenate([b_emotion, head.intercept_]),
        np.array(thresholds),
    )
    return EmotionTraining(model, c, dict(zip(labels, f1s, strict=True)))
