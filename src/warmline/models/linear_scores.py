"""Linear models over n-gram features: compact weights and the arrays of a model file.

Weights are stored as int8 with one scale per column, so shipped models stay small;
the emotion and the reason models share the layout written by :func:`linear_arrays`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from warmline.models.files import array_text, text_array
from warmline.models.ngrams import NgramFeatures


class LinearParts(NamedTuple):
    """What every linear text model holds."""

    features: NgramFeatures
    labels: list[str]
    languages: list[str]
    weights: NDArray[np.float32]
    bias: NDArray[np.float32]


def quantise(weights: NDArray[np.floating]) -> tuple[NDArray[np.int8], NDArray[np.float32]]:
    """Symmetric int8 quantisation per column: ``weights ≈ q * scale``."""
    peak = np.abs(weights).max(axis=0)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    return np.round(weights / scale).astype(np.int8), scale


def dequantise(q: NDArray[np.int8], scale: NDArray[np.floating]) -> NDArray[np.float32]:
    """The float32 weights of :func:`quantise`."""
    return q.astype(np.float32) * np.asarray(scale, dtype=np.float32)


def sigmoid(z: NDArray[np.floating]) -> NDArray[np.float32]:
    """Logistic function, computed without overflow warnings."""
    clipped = np.clip(np.asarray(z, dtype=np.float32), -30.0, 30.0)
    result: NDArray[np.float32] = (1.0 / (1.0 + np.exp(-clipped))).astype(np.float32)
    return result


def softmax(z: NDArray[np.floating]) -> NDArray[np.float32]:
    """Row-wise softmax."""
    values = np.asarray(z, dtype=np.float32)
    e = np.exp(values - values.max(axis=1, keepdims=True))
    result: NDArray[np.float32] = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    return result


def linear_arrays(
    features: NgramFeatures,
    labels: Sequence[str],
    languages: Iterable[str],
    weights: NDArray[np.floating],
    bias: NDArray[np.floating],
) -> dict[str, Any]:
    """The arrays of a model file (weights quantised to int8)."""
    q, scale = quantise(weights)
    return {
        **features.to_arrays("features_"),
        "labels": text_array(labels),
        "languages": text_array(sorted(languages)),
        "weights": q,
        "scale": scale,
        "bias": np.asarray(bias, dtype=np.float32),
    }


def linear_parts(arrays: Mapping[str, NDArray[np.generic]]) -> LinearParts:
    """The inverse of :func:`linear_arrays`."""
    return LinearParts(
        NgramFeatures.from_arrays(arrays, "features_"),
        array_text(arrays["labels"]),
        array_text(arrays["languages"]),
        dequantise(arrays["weights"].astype(np.int8), arrays["scale"].astype(np.float32)),
        arrays["bias"].astype(np.float32),
    )
