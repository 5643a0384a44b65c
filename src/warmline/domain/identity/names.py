"""Name tokens for search: case- and accent-insensitive, so 'José' finds 'jose' and 'JOSE'."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+")
MAX_TOKENS = 12
MAX_TOKEN_CHARS = 100


def fold(text: str) -> str:
    """Lower-case and strip accents: the form names are indexed and searched in."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_tokens(name: str | None) -> list[str]:
    """The distinct searchable tokens of a name, in order."""
    if not name:
        return []
    tokens = dict.fromkeys(tok[:MAX_TOKEN_CHARS] for tok in _WORD.findall(fold(name)))
    return list(tokens)[:MAX_TOKENS]
