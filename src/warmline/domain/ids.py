"""Stable ids: every row projected from events gets an id derived from the event.

Replaying the raw event log therefore rebuilds exactly the same rows with the
same ids, which is what makes ``warmline rebuild`` give back the same memory.
"""

from __future__ import annotations

import base64
import hashlib


def stable_id(prefix: str, *parts: str) -> str:
    """``prefix_`` plus 26 base32 characters of SHA-256 over the parts."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()[:16]
    return f"{prefix}_{base64.b32encode(digest).decode().rstrip('=').lower()}"
