"""Compact weight matrices: int8 with one scale per column, so shipped models stay small."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


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
