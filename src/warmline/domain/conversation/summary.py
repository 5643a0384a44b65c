"""Extractive one-line summaries of an ended interaction, offline.

The summary is made of the conversation's own sentences: nothing is invented,
only selected, lightly cleaned (what leads into a sentence goes: "Well,", "OK so",
a greeting and the name it addresses, "Hello Kwame,") and, if one sentence alone
is too long, trimmed at a word boundary with an ellipsis.

How sentences are chosen (centroid selection, Radev et al. 2004, adapted to
dialogue): a content word weighs as many turns as it appears in, because the
topic of a conversation is what both sides keep coming back to. A sentence
scores the weight of its distinct content words over the square root of its
length (long sentences are not rewarded just for being long), boosted for the
opening turns, where customers say why they got in touch. A sentence whose
substance is mostly covered already is skipped. Bot turns are used only when
nobody else spoke.

Pleasantries never make a summary. A sentence's substance is its content words
less its pleasantries (:func:`~warmline.domain.conversation.turns.substance_words`):
set phrases of greeting, thanks, acknowledgement and the agent's formulae ("Good
morning, thanks for calling", "Of course", "How can I help?", "Is there anything
else?", "You're welcome"), pleasantry words ("cheers", "sir") and the names this
conversation addresses people by ("Hi Kwame", "Of course, Kwame.", "my name is
Dave", "Mr. Lee"). A sentence without substance ("Hello.", "Of course, Kwame.",
"Thanks, bye!", an emoji) is never chosen, so a conversation of nothing else has
no summary ('') rather than one that says "Hello.". A sentence of one substance word
("Declined again?") is chosen only when no sentence has two. A greeting that opens
a sentence with substance ("Hello, can you cancel my card?") is cut from it.

The default number of sentences and the opening boost are the two choices checked
on DialogSum's dev split; nothing is fitted to any data set. The pleasantry lists
are written from how contact-centre conversations open and close, then checked on
the dev split (``benchmarks/summaries.py --split dev``, one reference) not to lower
ROUGE-L: two sentences 19.84 before, 19.98 after; the line 19.90 and 20.06. Two
variants were checked there and not taken: cutting a name that opens a sentence
without a greeting ("Kwame, ...") too (19.90), and scoring on substance words
instead of content words (19.96).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from warmline.domain.conversation.turns import (
    MAX_TURN_CHARS,
    MAX_TURNS,
    Sentence,
    Turn,
    address_names,
    content_words,
    conversation_sentences,
    strip_opening,
    substance_words,
    words,
)

DEFAULT_SENTENCES = 2
MIN_CONTENT_WORDS = 2
MAX_COVERED = 0.5
ELLIPSIS = "…"

_LEADING_FILLER = re.compile(
    # Hesitations go whatever follows; words that can carry meaning ("Right now", "So much")
    # go only when punctuation marks them as filler ("Right, ...").
    r"^(?:(?:um+|uh+|er+m?|hmm+)\b[\s,.!-]*"
    r"|(?:well|oh|ah|so|ok(?:ay)?|yes|yeah|right|alright|sure)[,.!-]+\s*)+",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class RankedSentence:
    """A sentence with its selection score (higher is more central)."""

    sentence: Sentence
    score: float
    position: int  # index of the sentence in the conversation
    substantive: bool  # at least MIN_CONTENT_WORDS distinct words that are not pleasantries
    phatic: bool = False  # nothing but pleasantries, names or symbols: never chosen
    substance: frozenset[str] = frozenset()


def rank_sentences(turns: Sequence[Turn]) -> list[RankedSentence]:
    """All sentences worth choosing, best first (see the module docstring for how)."""
    return _rank(turns)[0]


def _rank(turns: Sequence[Turn]) -> tuple[list[RankedSentence], frozenset[str]]:
    """The ranked sentences and the names the conversation addresses people by."""
    spoken = [t for t in turns if t.speaker != "bot"] or list(turns)
    sentences = conversation_sentences(spoken)
    names = address_names(s.text for s in sentences)
    turn_weight: Counter[str] = Counter()
    for turn in spoken[:MAX_TURNS]:
        turn_weight.update(set(content_words(turn.text[:MAX_TURN_CHARS])))
    ranked = []
    for position, sentence in enumerate(sentences):
        content = content_words(sentence.text)
        substance = frozenset(substance_words(sentence.text, names, content=content))
        weight = sum(turn_weight[w] for w in set(content))
        length = max(len(words(sentence.text)), 1)
        opening = 1 + 1 / (1 + sentence.turn_index)
        substantive = len(substance) >= MIN_CONTENT_WORDS
        # Short sentences keep a tiny score so a conversation of only those still yields a
        # line; pleasantries rank below them (and are never chosen).
        if substantive:
            score = weight / math.sqrt(length) * opening
        else:
            score = 1e-6 / length if substance else 0.0
        ranked.append(
            RankedSentence(sentence, score, position, substantive, not substance, substance)
        )
    ranked.sort(key=lambda r: r.score, reverse=True)
    return ranked, names


def summarise_sentences(turns: Sequence[Turn], k: int = DEFAULT_SENTENCES) -> list[str]:
    """The ``k`` most central, non-redundant sentences, cleaned, in conversation order."""
    ranked, names = _rank(turns)
    chosen = _choose(ranked, k)
    return [tidy(r.sentence.text, names) for r in sorted(chosen, key=lambda r: r.position)]


def summarise(turns: Sequence[Turn], *, max_chars: int = 200) -> str:
    """A one-line summary of at most ``max_chars`` characters; '' for an empty conversation
    or one of nothing but pleasantries.

    The best sentence always leads (cut at a word boundary with an ellipsis if it is
    too long on its own); the next best join it if they fit. Conversation order.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    ranked, names = _rank(turns)
    chosen = _choose(ranked, DEFAULT_SENTENCES)
    if not chosen:
        return ""
    cleaned = {r.position: tidy(r.sentence.text, names) for r in chosen}
    best, *others = chosen
    kept = [best]
    used = len(cleaned[best.position])
    for other in others:
        extra = 1 + len(cleaned[other.position])
        if used + extra <= max_chars:
            kept.append(other)
            used += extra
    line = " ".join(cleaned[r.position] for r in sorted(kept, key=lambda r: r.position))
    return trim(line, max_chars)


def _choose(ranked: Sequence[RankedSentence], k: int) -> list[RankedSentence]:
    """The best ``k`` sentences in rank order, skipping pleasantries and sentences that
    mostly repeat earlier picks."""
    chosen: list[RankedSentence] = []
    covered: set[str] = set()
    for candidate in ranked:
        if len(chosen) >= k:
            break
        if candidate.phatic:
            continue
        if chosen and not candidate.substantive:
            break  # ranked last: only filler is left
        distinct = candidate.substance
        if distinct and len(distinct & covered) / len(distinct) > MAX_COVERED:
            continue
        chosen.append(candidate)
        covered |= distinct
    return chosen


def tidy(sentence: str, names: frozenset[str] = frozenset()) -> str:
    """Drop what leads into the sentence, a greeting, the name it addresses and filler
    ("Hello Kwame, well, OK, so ..."), and capitalise what remains."""
    stripped = sentence
    while True:
        shorter = strip_opening(_LEADING_FILLER.sub("", stripped), names).strip()
        if shorter == stripped:
            break
        stripped = shorter
    if len(words(stripped)) < 2:
        return sentence
    return stripped[0].upper() + stripped[1:]


def trim(text: str, max_chars: int) -> str:
    """``text`` cut to at most ``max_chars`` characters at a word boundary, with an ellipsis."""
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - len(ELLIPSIS)]
    if " " in cut.strip():
        cut = cut[: cut.rstrip().rfind(" ")]
    return cut.rstrip(" ,;:-") + ELLIPSIS
