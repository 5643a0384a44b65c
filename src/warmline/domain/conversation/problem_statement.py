"""What a conversation says about the problem: the customer's statement of it, what they
want, what was tried and found, and the next step someone said they would take.

Heuristic, by design: each finding is a sentence the conversation holds, picked by a
cue phrase that is named in its reason ("names a failure: 'declined'"), so an agent
can see why a line was picked and nothing is paraphrased. The cues are written from
how people describe banking and service problems; they were checked for recall on
Banking77's customer queries (CC BY 4.0; every query there is a problem statement or
a request), see ``benchmarks/summaries.py``. DialogSum was not used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from warmline.domain.conversation.turns import (
    Sentence,
    Turn,
    content_words,
    conversation_sentences,
    words,
)

FindingKind = Literal["problem", "want", "tried", "found", "next"]


@dataclass(frozen=True, slots=True)
class Finding:
    """A sentence of the conversation, what it shows, and why it was picked."""

    kind: FindingKind
    text: str
    reason: str
    turn: Turn
    turn_index: int


def _cues(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# Something went wrong: failure words, negation, money or things gone astray.
_FAILURE = _cues(
    r"\b(declined|refused|rejected|bounced|failed|failing|fails|error|wrong|incorrect|"
    r"broken|blocked|locked|frozen|suspended|stuck|lost|stole|stolen|missing|disappeared|"
    r"forgot|forgotten|charge|charged|overcharged|double[- ]charged|fee|fees|extra|"
    r"unauthori[sz]ed|fraud\w*|scam\w*|hacked|compromised|dispute\w*|refund\w*|"
    r"late|delayed|overdue|pending|awaiting|waiting|expired|cancel(?:l?ed)|reverted|"
    r"returned|deducted|twice|again|unhappy|unfamiliar|don't recogni[sz]e|denied|"
    r"messed up|suspicious|strange|odd|unexpected|mugged|annoying|expires|expiring|"
    r"only (?:got|received|given|made)|multiple times|(?:red )?flag(?:ged)?|someone else|"
    r"taking (?:a while|ages|forever|long)|remained|still|less|without|no way|unsure|"
    r"wondering|duplicated?|several times|more than once|random|unusual|accidentally|"
    r"mistake\w*|isnt|couldnt|dont|didnt|doesnt|wasnt|havent|hasnt|"
    r"not|no longer|never|nothing|"
    r"can't|cannot|cant|couldn't|unable|won't|wont|doesn't|didn't|isn't|hasn't|haven't|"
    r"wasn't|weren't|aren't|don't|"
    r"problem|issue|trouble|complain\w*)\b"
)
# Asking how or why: a question about their own situation is a problem statement too.
_QUESTION = _cues(
    r"^(?:\w+,\s*)?(?:how|why|what|where|when|which|who|whose|"
    r"(?:can|could|should|would|will|do|does|did|is|are|am|has|have|was|were)\s+"
    r"(?:i|you|we|it|my|there|the|this|that|they|someone|anyone))\b"
)
_WANT = _cues(
    r"\b(i want|i wanted|i'd like|i would like|i need|i needed|i'm trying to|i am trying to|"
    r"i wish to|i'd prefer|i just want|help me|can you|could you|would you|will you|"
    r"can i|could i|may i|how do i|how can i|is it possible|tell me|show me|explain|"
    r"need to|needs to|want to|wanna|would like|would love|hope to|prefer|must|"
    r"questions? about|instruct|help (?:me|with|us)|(?:need|want|some) help|please)\b"
    # An imperative opening is a request too: "Stop that payment", "Unblock my card".
    r"|^(cancel|activate|delete|close|reset|change|track|order|block|unblock|unlock|"
    r"update|verify|check|send|transfer|top up|add|remove|refund|reverse|revert)\b"
)
_TRIED = _cues(
    r"\b(i've|i have|we've|we have|i|we) (?:already |just |now )?"
    r"(tried|reset|resent|re-sent|sent|reissued|re-issued|checked|restarted|cancell?ed|"
    r"raised|escalated|refunded|reversed|unblocked|unlocked|lifted|removed|updated|"
    r"changed|ordered|requested|submitted|logged|called|contacted|asked|verified|"
    r"applied|credited|disputed|tested|attempted|re-?tried)\b"
)
_FOUND = _cues(
    r"\b(i can see|i see|i've found|i found|we found|it looks like|looks like|it seems|"
    r"seems|appears|it shows|is showing|shows|there's a|there is a|there was a|"
    r"the reason|because|due to|according to|unfortunately|i'm afraid|i can't|"
    r"i cannot|we can't|we cannot|i'm unable|we're unable|isn't possible|not possible|"
    r"on hold|flagged)\b"
)
_NEXT = _cues(
    r"\b(i'll|i will|we'll|we will|i'm going to|we're going to|i am going to|"
    r"next step|will (?:call|contact|email|send|transfer|pass|arrange|look|review|"
    r"be able)|can do it|can help|can sort|you'll need to|you will need to|"
    r"please (?:call|ring|phone|visit|retry|try))\b"
)
_GREETING_ONLY = _cues(r"^(?:hi|hello|hey|good (?:morning|afternoon|evening)|thanks?|thank you)\b")

MIN_CONTENT_WORDS = 2
MIN_CUSTOMER_WORDS = 3


def problem_lines(turns: Sequence[Turn]) -> list[Finding]:
    """Customer sentences that state the problem, in order, each with why it was picked.

    A sentence states the problem when it names something going wrong, asks a
    question ("How do I ...", anything ending in '?'), or asks for something ("I need
    to change my address"): in a service conversation, the request is the issue.
    """
    found = []
    for sentence in _customer_sentences(turns):
        reason = _problem_reason(sentence.text)
        if reason:
            found.append(_finding("problem", sentence, turns, reason))
    return found


def _problem_reason(text: str) -> str | None:
    if failure := _FAILURE.search(text):
        return f"names a failure: '{failure[0]}'"
    question = _QUESTION.search(text)
    if question or text.rstrip().endswith("?"):
        return f"asks: '{question[0] if question else text.rstrip()[-40:]}'"
    if want := _WANT.search(text):
        return f"asks for it: '{want[0]}'"
    return None


def wants(turns: Sequence[Turn]) -> list[Finding]:
    """Customer sentences that say what they want, in order, with the cue that shows it."""
    return [
        _finding("want", sentence, turns, f"asks for it: '{match[0]}'")
        for sentence in _customer_sentences(turns)
        if (match := _WANT.search(sentence.text))
    ]


def tried_and_found(turns: Sequence[Turn]) -> list[Finding]:
    """What was tried (by anyone) and what the agent or bot found, in order.

    A customer's "I've already tried restarting the app" counts as tried; findings
    come from the agent's and the bot's side only, since that is where checks are made.
    """
    out = []
    for sentence in _substantive(conversation_sentences(turns)):
        tried = _TRIED.search(sentence.text)
        if tried:
            who = "customer" if sentence.speaker == "customer" else sentence.speaker
            out.append(_finding("tried", sentence, turns, f"{who} tried: '{tried[0]}'"))
            continue
        if sentence.speaker == "customer":
            continue
        found = _FOUND.search(sentence.text)
        if found:
            out.append(
                _finding("found", sentence, turns, f"{sentence.speaker} found: '{found[0]}'")
            )
    return out


def next_steps(turns: Sequence[Turn]) -> list[Finding]:
    """Agent or bot sentences that say what happens next ("I'll call you back by 5")."""
    return [
        _finding("next", sentence, turns, f"says what happens next: '{match[0]}'")
        for sentence in _substantive(conversation_sentences(turns))
        if sentence.speaker != "customer" and (match := _NEXT.search(sentence.text))
    ]


def _customer_sentences(turns: Sequence[Turn]) -> list[Sentence]:
    # Customers state problems tersely ("No PIN yet?" has one content word),
    # so one content word in three or more words is enough, unless it is a greeting.
    return [
        s
        for s in conversation_sentences(turns)
        if s.speaker == "customer"
        and len(words(s.text)) >= MIN_CUSTOMER_WORDS
        and content_words(s.text)
        and not _is_greeting_only(s.text)
    ]


def _substantive(sentences: Iterable[Sentence]) -> Iterable[Sentence]:
    # One content word ("Declined?") says too little to quote in a note on its own.
    return (s for s in sentences if len(set(content_words(s.text))) >= MIN_CONTENT_WORDS)


def _is_greeting_only(text: str) -> bool:
    return bool(_GREETING_ONLY.match(text)) and len(content_words(text)) <= MIN_CONTENT_WORDS


def _finding(kind: FindingKind, sentence: Sentence, turns: Sequence[Turn], reason: str) -> Finding:
    return Finding(kind, sentence.text, reason, turns[sentence.turn_index], sentence.turn_index)
