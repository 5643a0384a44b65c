"""Loading and running the trained models: files, onnxruntime, word vectors, language id.

Everything here may read a file of the package or of an installed model package, and
keeps what it loaded for the life of the process. What the models read comes back as
the domain's plain values (:mod:`warmline.domain.insight.readings`).
"""

from __future__ import annotations

import threading

from warmline.models.feelings import analyse_messages, default_feelings_model
from warmline.models.reasons import ReasonModel, default_reason_model, reason_model

_warm = threading.Event()


def warm_up() -> None:
    """Load every model now (about two seconds), so the first message or contact does not
    wait."""
    _do_warm_up()
    _warm.set()


def is_warm() -> bool:
    """Whether :func:`warm_up` has finished in this process."""
    return _warm.is_set()


def _do_warm_up() -> None:
    from warmline.models.feelings_encoder import (
        feelings_encoder_installed,
        shipped_feelings_opinion,
    )

    analyse_messages(["hello", "bonjour tout le monde"])
    if feelings_encoder_installed():
        shipped_feelings_opinion().scores(["thanks, that's sorted"])
    reasons = default_reason_model()
    reasons.predict(["my card got declined at the till"])
    if reasons.second_opinion is not None:  # its first run allocates what later runs reuse
        reasons.second_opinion.probabilities(["my card got declined at the till"])


__all__ = [
    "ReasonModel",
    "analyse_messages",
    "default_feelings_model",
    "default_reason_model",
    "is_warm",
    "reason_model",
    "warm_up",
]
