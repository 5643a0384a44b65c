"""Static sentence embeddings from ``wordllama`` (MIT; its 256-d weights ship in the package).

The mean of the message's token embeddings, L2-normalised: a few tens of
microseconds per message with no torch, and a view of meaning that n-grams lack
("my money hasn't arrived" is close to "transfer not received"). Loaded once per
process, from the package's own folder, with downloads disabled.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: Which embedding a model was trained with; a model refuses to load with another.
EMBEDDING = "wordllama-l2_supercat-256"
DIMENSIONS = 256
# Small batches bound the padding a long message imposes on the others.
_BATCH = 64

_model: Any = None
_lock = threading.Lock()


def wordllama_model() -> Any:
    """The wordllama model, loaded once per process (restatements use it too)."""
    global _model  # one model per process, loaded on first use
    with _lock:
        if _model is None:
            root = logging.getLogger()
            handlers, level = list(root.handlers), root.level
            import wordllama

            # wordllama configures the root logger when imported (basicConfig at INFO);
            # logging is the host application's to set up, so that is undone.
            for handler in root.handlers[:]:
                if handler not in handlers:
                    root.removeHandler(handler)
            root.setLevel(level)
            # wordllama 0.4 looks for its tokenizer in the wrong folder unless told where.
            _model = wordllama.WordLlama.load(
                dim=DIMENSIONS,
                cache_dir=Path(wordllama.__file__).parent,
                disable_download=True,
            )
        return _model


def sentence_vectors(texts: Sequence[str]) -> NDArray[np.float32]:
    """One unit vector per text (rows of zeros for texts without tokens)."""
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    filled = [i for i, text in enumerate(texts) if text.strip()]
    if filled:
        vectors = wordllama_model().embed([texts[i] for i in filled], batch_size=_BATCH)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        out[filled] = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    return out
