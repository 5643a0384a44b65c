"""An approximate nearest-neighbour index over articles' unit vectors (``faiss`` IVF, inner
product), keyed by article and kept up to date in place.

:meth:`VectorIndex.sync` is given every published article's id and vector each time the
articles change: it removes the articles that went or whose vector changed and adds the
new ones, without training again (a restart builds it anew from the stored vectors). The
coarse centroids are trained again only when the index has grown or shrunk
:data:`RETRAIN_FACTOR`-fold since they were. A search probes :data:`PROBE_SHARE` of the
lists (at least :data:`MIN_PROBES`): recall@10 against exact search is reported by
``benchmarks/knowledge.py``. Searches and changes are serialised by a lock (a search takes
about a millisecond).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence

import faiss
import numpy as np
from numpy.typing import NDArray

#: Searches run on the calling thread: one query gains nothing from more, and on a busy
#: machine OpenMP's waiting threads cost more than they save.
faiss.omp_set_num_threads(1)

RETRAIN_FACTOR = 4
PROBE_SHARE = 0.2
MIN_PROBES = 32
#: Points per centroid the training samples (faiss's own default is 256).
TRAIN_POINTS_PER_LIST = 64


class VectorIndex:
    """Articles' vectors in an inverted-file index; each article has a stable integer key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: faiss.IndexIVFFlat | None = None
        self._trained_on = 0
        self._key_of: dict[str, int] = {}
        self._digest_of: dict[str, int] = {}
        self._next_key = 0

    def __len__(self) -> int:
        return len(self._key_of)

    def sync(self, ids: Sequence[str], vectors: NDArray[np.float32]) -> NDArray[np.int64]:
        """Make the index hold exactly ``ids`` with ``vectors`` (rows, unit length); returns
        each id's key, in order."""
        if len(ids) != len(vectors):
            raise ValueError("one vector per id")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        digests = [hash(row.tobytes()) for row in vectors]
        with self._lock:
            n = len(ids)
            if (
                self._index is None
                or n > RETRAIN_FACTOR * self._trained_on
                or n * RETRAIN_FACTOR < self._trained_on
            ):
                self._train(vectors)
            index = self._index
            assert index is not None
            wanted = set(ids)
            stale = [
                article
                for article, digest in zip(ids, digests, strict=True)
                if article in self._digest_of and self._digest_of[article] != digest
            ]
            stale += [article for article in self._key_of if article not in wanted]
            if stale:
                gone = np.array([self._key_of.pop(a) for a in stale], dtype=np.int64)
                for a in stale:
                    self._digest_of.pop(a, None)
                index.remove_ids(faiss.IDSelectorBatch(len(gone), faiss.swig_ptr(gone)))
            fresh = [k for k, a in enumerate(ids) if a not in self._key_of]
            if fresh:
                keys = np.arange(self._next_key, self._next_key + len(fresh), dtype=np.int64)
                self._next_key += len(fresh)
                for row, key in zip(fresh, keys, strict=True):
                    self._key_of[ids[row]] = int(key)
                    self._digest_of[ids[row]] = digests[row]
                index.add_with_ids(vectors[fresh], keys)
            return np.array([self._key_of[a] for a in ids], dtype=np.int64)

    def _train(self, vectors: NDArray[np.float32]) -> None:
        lists = max(1, int(math.sqrt(len(vectors))))
        dims = vectors.shape[1]
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dims), dims, lists, faiss.METRIC_INNER_PRODUCT)
        index.cp.max_points_per_centroid = TRAIN_POINTS_PER_LIST
        index.cp.seed = 0
        index.train(vectors)
        index.nprobe = min(lists, max(MIN_PROBES, int(PROBE_SHARE * lists)))
        self._index, self._trained_on = index, max(len(vectors), 1)
        self._key_of.clear()
        self._digest_of.clear()

    def search(
        self, query: NDArray[np.float32], k: int, allowed: NDArray[np.bool_] | None = None
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """The keys of the ``k`` vectors with the highest inner product with ``query`` and
        those products, best first; only keys whose entry in ``allowed`` is true (if given;
        indexed by key) are considered. Fewer than ``k`` may come back."""
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        with self._lock:
            index = self._index
            if index is None or index.ntotal == 0:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
            if allowed is None:
                scores, keys = index.search(query, k)
            else:
                bits = np.packbits(allowed.astype(np.bool_), bitorder="little")
                chosen = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits))
                params = faiss.SearchParametersIVF()
                params.sel, params.nprobe = chosen, index.nprobe
                scores, keys = index.search(query, k, params=params)
        found = keys[0] >= 0
        return keys[0][found].astype(np.int64), scores[0][found].astype(np.float32)

    @property
    def key_count(self) -> int:
        """One more than the largest key handed out."""
        return self._next_key
