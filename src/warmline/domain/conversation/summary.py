"""Extractive one-line summaries of an ended interaction, offline.

The summary is made of the conversation's own sentences: nothing is invented,
only selected, lightly cleaned (a leading "Well," or "OK so" goes) and, if one
sentence alone is too long, trimmed at a word boundary with an ellipsis.

How sentences are chosen (centroid selection, Radev et al. 2004, adapted to
dialogue): a content word weighs as many turns as it appears in, because the
topic of a conversation is what both sides keep coming back to. A sentence
scores the weight of its distinct content words over the square root of its
length (long sentences are not rewarded just for being long), boosted for the
opening turns, where customers say why they got in touch. Sentences of fewer
than two content words ("Yes, sir.", "Thanks!") are never chosen while others
exist, and a sentence whose content words are mostly covered already is skipped.
Bot turns are used only when nobody else spoke. The default number of sentences
and the opening boost are the two choices checked on DialogSum's dev split;
nothing is fitted to any data set.
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
    content_words,
    conversation_sentences,
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
    substantive: bool  # at least MIN_CONTENT_WORDS distinct content words


def rank_sentences(turns: Sequence[Turn]) -> list[RankedSentence]:
    """All sentences worth choosing, best first (see the module docstring for how)."""
    spoken = [t for t in turns if t.speaker != "bot"] or list(turns)
    sentences = conversation_sentences(spoken)
    turn_weight: Counter[str] = Counter()
    for turn in spoken[:MAX_TURNS]:
        turn_weight.update(set(content_words(turn.text[:MAX_TURN_CHARS])))
    ranked = []
    for position, sentence in enumerate(sentences):
        distinct = set(content_words(sentence.text))
        weight = sum(turn_weight[w] for w in distinct)
        length = max(len(words(sentence.text)), 1)
        opening = 1 + 1 / (1 + sentence.turn_index)
        substantive = len(distinct) >= MIN_CONTENT_WORDS
        # Filler keeps a tiny score so a conversation of only filler still yields a line.
        score = weight / math.sqrt(length) * opening if substantive else 1e-6 / length
        ranked.append(RankedSentence(sentence, score, position, substantive))
    ranked.sort(key=lambda r: r.score, reverse=True)
    return ranked


def summarise_sentences(turns: Sequence[Turn], k: int = DEFAULT_SENTENCES) -> list[str]:
    """The ``k`` most central, non-redundant sentences, cleaned, in conversation order."""
    chosen = _choose(rank_sentences(turns), k)
    return [tidy(r.sentence.text) for r in sorted(chosen, key=lambda r: r.position)]


def summarise(turns: Sequence[Turn], *, max_chars: int = 200) -> str:
    """A one-line summary of at most ``max_chars`` characters; '' for an empty conversation.

    The best sentence always leads (cut at a word boundary with an ellipsis if it is
    too long on its own); the next best join it if they fit. Conversation order.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    chosen = _choose(rank_sentences(turns), DEFAULT_SENTENCES)
    if not chosen:
        return ""
    best, *others = chosen
    kept = [best]
    used = len(tidy(best.sentence.text))
    for other in others:
        extra = 1 + len(tidy(other.sentence.text))
        if used + extra <= max_chars:
            kept.append(other)
            used += extra
    line = " ".join(tidy(r.sentence.text) for r in sorted(kept, key=lambda r: r.position))
    return trim(line, max_chars)


def _choose(ranked: Sequence[RankedSentence], k: int) -> list[RankedSentence]:
    """The best ``k`` sentences in rank order, skipping those that mostly repeat earlier picks."""
    chosen: list[RankedSentence] = []
    covered: set[str] = set()
    for candidate in ranked:
        if len(chosen) >= k:
            break
        if chosen and not candidate.substantive:
            break  # ranked last: only filler is left
        distinct = set(content_words(candidate.sentence.text))
        if distinct and len(distinct & covered) / len(distinct) > MAX_COVERED:
            continue
        chosen.append(candidate)
        covered |= distinct
    return chosen


def tidy(sentence: str) -> str:
    """Drop leading filler ("Well, OK, so ...") and capitalise what remains."""
    stripped = _LEADING_FILLER.sub("", sentence).strip()
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
