"""Model files: numpy ``.npz`` archives of plain arrays plus a JSON header; never pickle.

Loading uses ``allow_pickle=False``, so a model stored in the database or shipped in
the package can hold numbers and text and nothing executable.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

_HEADER = "header"
#: The models that ship inside the package (see its ``ATTRIBUTION.md``).
SHIPPED = Path(__file__).parent / "shipped"


class ModelFileError(ValueError):
    """The bytes are not a model file of the expected kind or version."""


def text_array(items: Sequence[str]) -> NDArray[np.uint8]:
    """A list of strings as UTF-8 JSON bytes (compact, and no object arrays)."""
    return np.frombuffer(json.dumps(list(items), ensure_ascii=False).encode(), dtype=np.uint8)


def array_text(array: NDArray[np.generic]) -> list[str]:
    """The list of strings stored by :func:`text_array`."""
    items = json.loads(np.asarray(array, dtype=np.uint8).tobytes().decode())
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ModelFileError("a text array does not hold a list of strings")
    return items


def pack(kind: str, header: Mapping[str, Any], arrays: Mapping[str, NDArray[np.generic]]) -> bytes:
    """Write arrays and a JSON header (which records ``kind``) as compressed npz bytes."""
    buffer = io.BytesIO()
    head = text_array([json.dumps({"kind": kind, **header})])
    named: dict[str, Any] = {_HEADER: head, **arrays}
    np.savez_compressed(buffer, **named)
    return buffer.getvalue()


#: Held while numpy reads an archive: it parses each array's header with
#: ``ast.literal_eval``, and CPython 3.11 before 3.11.8 can fail ("AST constructor recursion
#: depth mismatch") when two threads parse at once (the warm-up and the refinement thread
#: load models side by side).
NPZ_LOCK = threading.Lock()


def unpack(kind: str, data: bytes) -> tuple[dict[str, Any], dict[str, NDArray[np.generic]]]:
    """Read what :func:`pack` wrote; refuse another kind of model or anything malformed."""
    try:
        with NPZ_LOCK, np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        header = json.loads(array_text(arrays.pop(_HEADER))[0])
    except (OSError, ValueError, KeyError, IndexError) as exc:
        raise ModelFileError(f"not a {kind} model file: {exc}") from exc
    if not isinstance(header, dict) or header.get("kind") != kind:
        raise ModelFileError(f"not a {kind} model file")
    return header, arrays


def shipped(name: str) -> bytes:
    """The bytes of the shipped model file ``name``."""
    return (SHIPPED / name).read_bytes()
