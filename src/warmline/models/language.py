"""Which language a message is in, offline and cheaply.

Most customer messages are short, and statistical identifiers are unreliable on a
few words ("ok" comes out Afrikaans). So a message whose words are mostly in the
English lexicon (the word vocabulary of the shipped emotion model) is English
without further ado; only the rest go to ``py3langid`` (BSD-3-Clause, which ships
its own model). What it cannot place with confidence is English if many of its words
are, and otherwise ``None`` (gibberish, or too little to go on).
"""

from __future__ import annotations

import threading
from collections.abc import Container, Sequence
from typing import Protocol, cast

#: Share of a message's words that must be English words to call it English.
ENGLISH_SHARE = 0.75
#: Below this normalised probability, py3langid's answer is a guess.
MIN_CONFIDENCE = 0.6
#: When py3langid cannot tell, a message with at least this share of English words
#: is English with names or slang in it ("cheers, see you in Wuppertal"), not a foreign language.
LIKELY_ENGLISH_SHARE = 0.4
# ISO 639 codes for "no linguistic content" and "undetermined".
_NOT_A_LANGUAGE = frozenset({"zxx", "und"})
_RARE = frozenset({"la", "eo", "vo", "sa"})


class _Identifier(Protocol):
    def classify(self, text: str) -> tuple[str, float]: ...


_identifier: _Identifier | None = None
_lock = threading.Lock()


def _langid() -> _Identifier:
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            # ISO 639-1 only: the three-letter varieties (Nigerian Pidgin, Scots...) and
            # classical or constructed languages mostly catch English with typos.
            identifier.set_languages(
                [code for code in identifier.labels if len(code) == 2 and code not in _RARE]
            )
            _identifier = cast(_Identifier, identifier)
        return _identifier


def detect_language(text: str, tokens: Sequence[str], english: Container[str]) -> str | None:
    """ISO 639-1 code of ``text`` (``tokens`` are its words), or None if it cannot tell."""
    lettered = [token for token in tokens if not token.isnumeric()]
    if not lettered:
        return None
    known = sum(1 for token in lettered if token in english)
    if known >= ENGLISH_SHARE * len(lettered):
        return "en"
    language, confidence = _langid().classify(text)
    if confidence >= MIN_CONFIDENCE and language not in _NOT_A_LANGUAGE:
        return str(language)
    return "en" if known >= LIKELY_ENGLISH_SHARE * len(lettered) else None
