"""What training the emotion columns of the feelings model needs
(:mod:`warmline.training.feelings`).

Each emotion is a one-vs-rest logistic regression on naive-Bayes-scaled TF-IDF features
(NB-LR, Wang & Manning 2012): every feature is scaled by how much more often it appears
with the emotion than without, which lifts rare emotions (fear, grief, relief) well above
plain TF-IDF. The scaling folds into the weights, so the shipped model is still one
matrix. Each emotion's decision threshold is the one with the best F1 on the dev split.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

_THRESHOLDS = np.linspace(0.02, 0.95, 94)


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
