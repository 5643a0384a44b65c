"""The audit log's hash chain: tampering with any row is detectable.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own
content in a canonical JSON form. Changing, inserting or deleting a row breaks
the chain from that row on; :func:`first_break` finds where.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

GENESIS = "0" * 64
FIELDS = ("at", "actor", "role", "action", "customer_id", "detail")


def chain_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    """The hash of ``entry`` following ``prev_hash``."""
    content = {key: entry[key] for key in FIELDS}
    at = content["at"]
    content["at"] = at.astimezone(dt.UTC).isoformat() if isinstance(at, dt.datetime) else at
    canonical = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical).hexdigest()


def first_break(entries: Iterable[Mapping[str, Any]], prev_hash: str = GENESIS) -> int | None:
    """The id of the first entry (in id order) whose chain does not hold, or None."""
    for entry in entries:
        if entry["prev_hash"] != prev_hash or chain_hash(prev_hash, entry) != entry["hash"]:
            return int(entry["id"])
        prev_hash = entry["hash"]
    return None
