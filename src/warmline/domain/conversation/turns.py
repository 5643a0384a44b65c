"""A conversation as plain data: turns, their sentences and their words.

The summariser, the problem-statement finder and restatement detection all read
conversations the same way, so the splitting and the word lists live here once.
Text is kept exactly as written (HTML-looking text stays text; escaping is the
renderer's job); only whitespace is normalised.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

Speaker = Literal["customer", "agent", "bot"]

# Reading is bounded so a pasted log or a runaway transcript costs the same as a long chat.
MAX_TURNS = 400
MAX_TURN_CHARS = 4000
MAX_SENTENCES = 800


@dataclass(frozen=True, slots=True)
class Turn:
    """One message of an interaction, as the integrator hands it over."""

    speaker: Speaker
    text: str
    at: dt.datetime | None = None
    agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of a turn: its text, which turn it came from and who said it."""

    text: str
    turn_index: int
    speaker: Speaker


# Words before a full stop that do not end a sentence.
_ABBREVIATION_WORDS = (
    "mr mrs ms dr prof st sr jr vs etc eg ie e.g i.e no nos approx dept est inc ltd co corp "
    "jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun ave rd "
    "a.m p.m am pm tel ext ref acc"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())
_SENTENCE_END = re.compile(
    r"""(?:[.!?…]+["'”’)\]]*\s+)|(?:[。！？]+)|(?:\s*\n+\s*)""",
)
_LAST_WORD = re.compile(r"(\S+)[.!?…]+[\"'”’)\]]*\s*$")
_WORD = re.compile(r"\w+(?:['’]\w+)*")
_SPACES = re.compile(r"\s+")

# English function words and conversational filler: they say nothing about the topic.
_STOPWORD_TEXT = """
    a about above after again against ah all also am an and any are aren't as at be because
    been before being below between both but by can can't cannot could couldn't did didn't do
    does doesn't doing don't down during each else even ever few for from further get gets got
    had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself
    him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just
    let let's me more most much must mustn't my myself no nor not now of off on once only or
    other ought our ours ourselves out over own quite rather really same shan't she she'd
    she'll she's should shouldn't so some such than that that's the their theirs them
    themselves then there there's these they they'd they'll they're they've this those
    through to too under until up upon us very was wasn't we we'd we'll we're we've were
    weren't what what's when when's where where's whether which while who who's whom why
    why's will with won't would wouldn't yet you you'd you'll you're you've your yours
    yourself yourselves
    oh ok okay yes yeah yep no nope hi hello hey bye goodbye thanks thank please sure right
    well um uh er hmm mm alright fine great good sorry pardon see know think mean guess say
    said tell told go going gonna want wanna like one thing things something anything
    everything way lot also still maybe actually probably kind sort lets
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def clean(text: str) -> str:
    """Whitespace collapsed to single spaces; nothing else changes."""
    return _SPACES.sub(" ", text).strip()


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, in order, each with its own end punctuation.

    A full stop after a common abbreviation ('Mr.', 'e.g.') or a single letter
    (an initial) does not end a sentence; a number like 4.50 never splits because a
    sentence end needs a following space. Newlines always end a sentence.
    """
    out: list[str] = []
    start = 0
    pending = ""
    for match in _SENTENCE_END.finditer(text):
        piece = text[start : match.end()]
        start = match.end()
        if "\n" not in match.group() and _ends_with_abbreviation(piece):
            pending += piece
            continue
        sentence = clean(pending + piece)
        pending = ""
        if sentence:
            out.append(sentence)
    rest = clean(pending + text[start:])
    if rest:
        out.append(rest)
    return out


def _ends_with_abbreviation(piece: str) -> bool:
    if not piece.rstrip().endswith("."):
        return False
    match = _LAST_WORD.search(piece)
    if match is None:
        return False
    word = match.group(1).casefold().lstrip("(\"'“‘")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def words(text: str) -> list[str]:
    """Case-folded word tokens (letters, digits, inner apostrophes), in order."""
    # One replace on the text, not one per word: the summariser at ingest calls this a lot.
    return _WORD.findall(text.casefold().replace("’", "'"))


def content_words(text: str) -> list[str]:
    """The words of ``text`` that carry meaning: no function words or conversational filler."""
    return [w for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


def conversation_sentences(turns: Sequence[Turn]) -> list[Sentence]:
    """Every sentence of the conversation in order, within the reading bounds above."""
    return list(_iter_sentences(turns))


def _iter_sentences(turns: Sequence[Turn]) -> Iterator[Sentence]:
    count = 0
    for index, turn in enumerate(turns[:MAX_TURNS]):
        for text in split_sentences(turn.text[:MAX_TURN_CHARS]):
            yield Sentence(text, index, turn.speaker)
            count += 1
            if count >= MAX_SENTENCES:
                return
