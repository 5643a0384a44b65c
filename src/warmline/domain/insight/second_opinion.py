"""A second opinion on the reason for contact, asked only when the fast model is unsure.

The linear reason model reads most messages right at tens of thousands a second; the
ones it is least sure of (its confidence below ``below``, about the least sure
:data:`SECOND_OPINION_SHARE` of held-out messages) are also read by a small
transformer fine-tuned on the same reasons (MiniLM-L6, int8 weights, run by
onnxruntime on one thread), and the two opinions are averaged. A message costs about
1.7 ms when asked, so the average cost stays a fraction of a millisecond. The int8
activations are scaled per batch, so a message's probabilities can move by a fraction
of a percent with the messages it is read beside.

The encoder is not shipped (23 MB of weights do not belong in the repository):
``scripts/train_reason_encoder.py`` fine-tunes it on Banking77's train split and writes
a folder; point ``WARMLINE_REASON_ENCODER`` at that folder and the default banking
model asks it. Without the variable the default model is the linear one alone. The
encoder knows the shipped reasons only (its folder says which, by fingerprint), so a
model an organisation trains itself does without one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from warmline.domain.insight.linear_scores import softmax

#: The folder written by ``scripts/train_reason_encoder.py``.
ENCODER_VARIABLE = "WARMLINE_REASON_ENCODER"
ENCODER_FILE = "encoder.onnx"
META_FILE = "encoder.json"
TOKENIZER_FILE = "tokenizer.json"
#: The share of held-out messages, the least confident, that a second opinion is asked about.
SECOND_OPINION_SHARE = 0.15
#: How much the second opinion counts when the two are averaged.
WEIGHT = 0.5
# Messages are read in batches of similar length, so little time goes on padding.
_BATCH = 32


def reasons_fingerprint(labels: Sequence[str]) -> str:
    """Names the list of reasons, in order, an encoder's outputs stand for."""
    return hashlib.sha256("\n".join(labels).encode()).hexdigest()[:16]


class EncoderMissing(RuntimeError):
    """``WARMLINE_REASON_ENCODER`` names a folder without a usable encoder."""

    hint = (
        "build one with scripts/train_reason_encoder.py, or unset WARMLINE_REASON_ENCODER "
        "to use the linear reason model alone"
    )

    def __str__(self) -> str:
        return f"{self.args[0]}; {self.hint}"


class SecondOpinion:
    """Reason probabilities from the fine-tuned encoder, for the reasons it was trained on
    (named by :attr:`fingerprint`)."""

    def __init__(self, model: bytes, tokenizer: str, meta: dict[str, Any]):
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            model, options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_str(tokenizer)
        self._tokenizer.enable_truncation(int(meta["max_tokens"]))
        self._tokenizer.no_padding()  # MiniLM's file pads to 128: batches are padded here
        self.fingerprint = str(meta["reasons"])
        self.below = float(meta["below"])

    def probabilities(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One row of reason probabilities per text (texts are cut at ``max_tokens``)."""
        out: NDArray[np.float32] | None = None
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), _BATCH):
            rows = order[start : start + _BATCH]
            # One text at a time (encode_batch would spread over a thread pool), padded here.
            encoded = [self._tokenizer.encode(texts[i]).ids for i in rows]
            ids = np.zeros((len(rows), max(map(len, encoded))), np.int64)  # 0 is [PAD]
            for row, tokens in enumerate(encoded):
                ids[row, : len(tokens)] = tokens
            mask = (ids != 0).astype(np.int64)
            logits = np.asarray(self._session.run(None, {"ids": ids, "mask": mask})[0], np.float32)
            if out is None:
                out = np.zeros((len(texts), logits.shape[1]), np.float32)
            out[rows] = softmax(logits)
        return np.zeros((0, 0), np.float32) if out is None else out


def blend(
    linear: NDArray[np.float32],
    texts: Sequence[str],
    opinion: SecondOpinion,
    eligible: NDArray[np.bool_],
) -> NDArray[np.float32]:
    """``linear`` with the rows it is unsure of (and ``eligible``) averaged with the opinion."""
    ask = np.flatnonzero(eligible & (linear.max(axis=1) < opinion.below))
    if not len(ask):
        return linear
    out = linear.copy()
    second = opinion.probabilities([texts[int(i)] for i in ask])
    out[ask] = (1 - WEIGHT) * linear[ask] + WEIGHT * second
    return out


def load_second_opinion(folder: Path) -> SecondOpinion:
    """The encoder in ``folder``; :class:`EncoderMissing` says what is wrong and what to do."""
    try:
        return SecondOpinion(
            (folder / ENCODER_FILE).read_bytes(),
            (folder / TOKENIZER_FILE).read_text(encoding="utf-8"),
            json.loads((folder / META_FILE).read_text(encoding="utf-8")),
        )
    except Exception as e:  # unreadable files, a bad graph or tokenizer: one clear error
        raise EncoderMissing(
            f"{ENCODER_VARIABLE}={folder} holds no usable reason encoder ({e})"
        ) from e


@functools.cache
def configured_second_opinion() -> SecondOpinion | None:
    """The encoder ``WARMLINE_REASON_ENCODER`` points at (None when it is not set)."""
    folder = os.environ.get(ENCODER_VARIABLE, "").strip()
    return load_second_opinion(Path(folder)) if folder else None
