"""The served process's long-lived objects, kept out of the garbage collector's full passes.

Once its models are loaded a server holds a few hundred thousand long-lived objects
(vocabularies, word lists, the app's routes and templates). Python's full collection
walks every one of them each time it runs: 70-150 ms on this project's machines, during
which no request moves, so the slowest requests were the ones that met a full pass.
:func:`settle`, called once the process has loaded what it keeps, collects what is
already garbage and freezes the rest (``gc.freeze``): later passes walk only what requests
make and drop.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_settled = False


def settle() -> None:
    """Collect, then freeze what survives (once per process: the first call does it)."""
    global _settled
    with _lock:
        if _settled:
            return
        _settled = True
    gc.collect()
    gc.freeze()


def settled() -> bool:
    """Whether :func:`settle` has run in this process."""
    return _settled
