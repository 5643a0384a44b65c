"""A customer message made ready for the insight models: bounded, lower-cased, emoji named.

Every model in this package reads text through :func:`prepare`, so training and
prediction see the same thing. Emoji become their Unicode names ("😡" -> "pouting
face"): the standard library knows every emoji, the models learn the words, and an
emoji-only message still says something.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Analysis reads at most this many characters of a message (the start, where the
#: point usually is); the cost of a message is bounded whatever its length.
MAX_CHARS = 1000

WORD_PATTERN = re.compile(r"(?u)\b\w\w+\b")
# Handles and links say who and where, not how anyone feels: the feelings models read them
# as the placeholders TweetEval uses, so "@AcmeAir" and "@acme_help" are the same token.
_HANDLE = re.compile(r"(?<![\w@])@\w+")
_LINK = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)
_LETTERS = re.compile(r"[^\W\d_]")
# Joiners, variation selectors and skin-tone modifiers glue emoji together; they say nothing.
_EMOJI_GLUE = frozenset("\u200d\ufe0e\ufe0f") | {chr(c) for c in range(0x1F3FB, 0x1F400)}


@dataclass(frozen=True, slots=True)
class MessageText:
    """What the models read of one message, and what is odd about it."""

    text: str
    """Lower-cased, at most :data:`MAX_CHARS` of the original, emoji replaced by their names."""
    cased: str
    """The same with its original case (for the sentence embedding, which is case-aware)."""
    empty: bool
    """Nothing but whitespace (or nothing at all)."""
    emoji_only: bool
    """Only emoji (and punctuation or spaces): no words to read."""
    truncated: bool
    """The original was longer than :data:`MAX_CHARS`."""
    has_letters: bool
    """At least one letter in the original: there is language to detect."""


def is_emoji(char: str) -> bool:
    """True for pictographs and symbols people use as emoji (Unicode category 'So')."""
    return unicodedata.category(char) == "So"


def prepare(text: str) -> MessageText:
    """Bound, lower-case and name the emoji of one message."""
    truncated = len(text) > MAX_CHARS
    head = text[:MAX_CHARS]
    if not head.strip():
        return MessageText(
            "", "", empty=True, emoji_only=False, truncated=truncated, has_letters=False
        )
    if head.isascii():  # the common case, and no emoji can hide in it
        return MessageText(
            head.lower(),
            head,
            empty=False,
            emoji_only=False,
            truncated=truncated,
            has_letters=_LETTERS.search(head) is not None,
        )
    parts: list[str] = []
    emoji = other = False
    for char in head:
        if char in _EMOJI_GLUE:
            continue
        if is_emoji(char):
            emoji = True
            parts.append(f" {unicodedata.name(char, 'symbol').lower()} ")
        else:
            other = other or char.isalnum()
            parts.append(char)
    cased = "".join(parts) if emoji else head
    return MessageText(
        cased.lower(),
        cased,
        empty=False,
        emoji_only=emoji and not other,
        truncated=truncated,
        has_letters=_LETTERS.search(head) is not None,
    )


def words(text: str) -> list[str]:
    """The word tokens of prepared text: runs of two or more word characters."""
    return WORD_PATTERN.findall(text)


_QUOTED_LINE = re.compile(r"^\s*>.*$", re.MULTILINE)
_REPLY_HEADER = re.compile(
    r"^\s*(?:On .{4,200} wrote:|-+ ?Original Message ?-+|From: .+)\s*$", re.MULTILINE
)


def without_quoted(text: str) -> str:
    """``text`` without what it quotes of an earlier message: lines starting with ``>`` and
    everything from a reply header ("On ... wrote:", "-----Original Message-----") on. What
    the agent said, quoted back, is not how the customer feels. Text that is nothing but
    a quote is kept whole."""
    if ">" not in text and "wrote:" not in text and "Original Message" not in text:
        return text
    header = _REPLY_HEADER.search(text)
    own = text[: header.start()] if header else text
    own = _QUOTED_LINE.sub("", own).strip()
    return own or text


def without_handles(text: str) -> str:
    """``text`` with @handles as ``@user`` and links as ``http`` (what the feelings read)."""
    if "@" in text:
        text = _HANDLE.sub("@user", text)
    if "http" in text or "www." in text or "HTTP" in text or "WWW." in text:
        text = _LINK.sub("http", text)
    return text


# A greeting that opens a message ("Good morning.", "Hi there,", "hello"), and what follows.
_OPENING_GREETING = re.compile(
    r"\s*(?:hi|hello|hey|hiya|good\s+(?:morning|afternoon|evening|day))"
    r"(?:\s+(?:there|all|team|everyone|guys))?(?:\s*[,.!:;\u2013\u2014-]+\s*|\s+)(?=\w)",
    re.IGNORECASE,
)


# Thanks that signs a message off ("..., thanks.", "... Thank you!"), and what precedes it.
_CLOSING_THANKS = re.compile(
    r"[\s,.;:!\u2013\u2014-]+(?:thanks|thank\s+you|thx|cheers)"
    r"(?:\s+in\s+advance|\s+again)?[\s.!]*$",
    re.IGNORECASE,
)


def without_pleasantries(text: str) -> str:
    """``text`` without the greeting it opens with and the thanks it signs off with, when
    at least two words (three before a closing thanks) remain: "Good morning. My card is
    blocked again, thanks" is manners around a complaint, and the tweets the models
    learned from made "good morning" and "thanks" cheerful. Thanks that is the point stays:
    when it opens the message ("thanks, all sorted") or is said warmly ("..., thanks so
    much"); so does a greeting alone."""
    opening = _OPENING_GREETING.match(text)
    if opening is not None and len(WORD_PATTERN.findall(text, opening.end())) >= 2:
        text = text[opening.end() :]
    closing = _CLOSING_THANKS.search(text)
    if closing is not None and len(WORD_PATTERN.findall(text, 0, closing.start())) >= 3:
        text = text[: closing.start()]
    return text


def feelings_text(text: str) -> MessageText:
    """What the feelings models read of a message: its own words (not what it quotes)
    without the pleasantries around them, handles and links as placeholders, bounded,
    emoji named."""
    return prepare(without_handles(without_pleasantries(without_quoted(text))))


def encoder_text(text: str) -> str:
    """What the feelings encoder reads of a message: :func:`feelings_text`, case kept."""
    return feelings_text(text).cased
