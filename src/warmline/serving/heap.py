"""The server's long-lived objects kept out of Python's full garbage collections.

The modules and the models (vocabularies, weights, tokenizers) are millions of objects that
live as long as the process. Each full collection walked them all: 110-150 ms with the
models loaded, every request in flight waiting meanwhile (the card's p99). Once they are
loaded, :func:`settle` moves everything alive into the permanent generation
(:func:`gc.freeze`), and later collections walk only what came after (2-4 ms).

Reference counting still frees frozen objects; a reference cycle among them waits for
:func:`release` (the app's shutdown, which gives them back to the collector), so an app
started and stopped many times in one process (the tests) keeps nothing.
"""

from __future__ import annotations

import gc


def settle(*, collect: bool = False) -> None:
    """Keep every object alive now out of the collector's walks; with ``collect``, free
    what is garbage first (after loading the models, which leaves plenty)."""
    if collect:
        gc.collect()
    gc.freeze()


def release() -> None:
    """Give the frozen objects back to the collector (at shutdown)."""
    gc.unfreeze()
