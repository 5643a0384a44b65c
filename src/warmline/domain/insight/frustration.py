"""Frustration: how fed up a customer is with how they are being served, 0 to 1, with the
words that show it.

Customers are rarely frustrated in the vocabulary of anger. They say it flatly: they
have asked before ("third time asking"), they are waiting ("still waiting", "on hold for
an hour"), they are passed around ("transferred three times", "nobody can fix this"), a
promise was broken ("you said you'd call me back"), or they give up ("fine, I'll go to
the branch"). Those are :data:`CUES`, found in the message's own words; the emotion
model's reading of annoyance, anger and disappointment, and the polarity model's
negativity, come in as numbers (:func:`read_frustration`). A strong cue is frustration
on its own; a weak one ("again", "still") only adds to a message that already reads
negative, so "is the branch still open?" stays calm.

Pure: no model runs here. Limits (documented in the tests): a cue said of someone else
("my son is still waiting for his card") counts as the customer's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: At or above this, the desk says "frustrated" (and the early-warning signals count it).
FRUSTRATED = 0.5
#: How much of the model's negativity is frustration when no annoyance is named (worry and
#: sadness are negative too, and are not frustration).
NEGATIVE_SHARE = 0.55
#: How far the model's evidence alone can take the score.
MODEL_WEIGHT = 0.85

_NUMBER = r"(?:two|three|four|five|six|seven|eight|nine|ten|twenty|several|many|\d+)"
_ORDINAL = r"(?:second|third|fourth|fifth|sixth|\d+(?:nd|rd|th))"
_TIME = r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?)"


@dataclass(frozen=True, slots=True)
class Cue:
    """A way customers show frustration: its kind, how strong it is, and its pattern."""

    kind: str
    weight: float
    pattern: re.Pattern[str]


def _cue(kind: str, weight: float, *patterns: str, flags: int = re.IGNORECASE) -> Cue:
    return Cue(kind, weight, re.compile("|".join(f"(?:{p})" for p in patterns), flags))


#: Strong cues (weight >= 0.5) count on their own; weak ones scale with the negativity.
CUES = (
    _cue(
        "repeated contact",
        0.6,
        rf"\b{_ORDINAL} (?:time|call|email|message|request|attempt|complaint)s?\b",
        rf"\b{_NUMBER} (?:times|calls|emails|messages|attempts|requests)\b",
        r"\bhow many times\b",
        r"\b(?:keep|kept) (?:asking|calling|chasing|telling|writing|emailing|ringing)\b",
        r"\b(?:asked|told|explained|said|called|written|emailed|rung) (?:you |this |it )?"
        r"(?:before|already|twice|again|repeatedly)\b",
        r"\balready (?:asked|told|explained|gave|sent|called|said)\b",
        # "every time I call"; "charged £40 each time" is only weak (see "again").
        r"\b(?:every|each) (?:single )?time (?:I|we)\b",
        r"\b(?:chasing|chase)\b",
        r"\bsame (?:problem|issue|answer|thing|reply|response)\b",
        r"\bonce again\b|\byet again\b|\bin a row\b",
        r"\brepeat (?:myself|my|the same)\b",
    ),
    _cue(
        "waiting",
        0.55,
        r"\bstill (?:waiting|nothing|no\b|not\b|hasn'?t|haven'?t|isn'?t|doesn'?t|can'?t|"
        r"won'?t|pending|broken|blocked|charging)",
        r"\b(?:on hold|in a queue|in the queue)\b",
        rf"\b(?:been|waited|waiting|took|taken|for) (?:over |nearly |almost |about )?"
        rf"(?:an? |{_NUMBER} )(?:whole )?{_TIME}\b",
        r"\b(?:taking|takes|took) (?:forever|ages|so long|this long)\b",
        r"\bno (?:reply|response|answer|update|news|word|decision|progress)\b",
        r"\b(?:heard|had) nothing\b|\bnothing (?:has )?(?:changed|happened|been done)\b",
        r"\bnot (?:heard|had) (?:anything|back)\b",
    ),
    _cue(
        "passed around",
        0.6,
        r"\b(?:passed|pushed|bounced|sent|shunted) (?:around|about|from|back and forth|"
        r"between|to (?:another|someone else|a different))",
        r"\btransferred (?:again|\w+ times|twice|three|four)",
        rf"\b(?:transferred|passed) {_NUMBER}\b",
        r"\bround in circles\b|\bgoing round\b",
        r"\banother department\b|\bsomeone who can (?:actually )?help\b",
        r"\b(?:no ?one|nobody) (?:can|could|seems|has|ever|is|will|cares|bothered|knows|helps|"
        r"gets|rang|called|replied|answered)\b",
    ),
    _cue(
        "broken promise",
        0.6,
        r"\bpromised\b|\bassured me\b",
        r"\bsupposed to (?:be|have) (?:been )?(?:sorted|fixed|done|arrived|refunded|resolved|"
        r"called|paid)\b",
        r"\bnever (?:called|rang|replied|got back|rung)\b",
        r"\b(?:didn'?t|did not|hasn'?t|has not|haven'?t|have not) (?:call|ring|get back|"
        r"repl)\w*\b",
        r"\b(?:you|they|he|she) said (?:you|they|he|she|it|someone)(?:'d| would| will)\b",
        r"\btold me (?:it|someone|you|they|he|she) would\b",
    ),
    _cue(
        "broken promise",
        0.4,
        r"\b(?:you|they|he|she|someone|your colleague) (?:said|told me)\b",
        r"\b(?:was|were|I'?ve been|I was) told\b",
        r"\bsupposed to\b",
        r"\b(?:last|other) (?:person|agent|advisor|adviser|guy|lady|man|woman) said\b",
        r"\bnever (?:arrived|came|happened)\b",
        r"\b(?:didn'?t|did not|hasn'?t|has not|haven'?t|have not) (?:arrive|turn up|come)\w*\b",
    ),
    _cue(
        "giving up",
        0.55,
        r"\bfine,? I'?ll\b|\bforget it\b|\bwhatever\b|\bI give up\b",
        r"\b(?:had|have had) enough\b|\b(?:sick|tired) of\b",
        r"\btake my (?:money|business|custom) elsewhere\b|\bclose my account\b",
        r"\bbeyond a joke\b|\bcheers for nothing\b|\bthanks for nothing\b",
        r"\blosing (?:my )?patience\b|\bpatient enough\b",
    ),
    _cue(
        "said so",
        0.6,
        r"\bfrustrat\w*|\bannoy(?:ed|ing)\b|\bfurious\b|\bfuming\b|\bfed up\b",
    ),
    _cue(
        "complaint",
        0.35,
        r"\b(?:ridiculous|unacceptable|useless|pathetic|appalling|disgraceful|shocking|"
        r"outrageous|joke|unbelievable|incompetent|terrible|awful|worst|angry|irritat\w*)\b",
        r"\bhow long (?:does|will|is|has|do|can)\b",
    ),
    _cue(
        "again",
        0.35,
        r"\bagain\b",
        r"\bstill\b",
        r"\bkeeps?\b",
        r"\byet\b",
        r"\b(?:every|each) (?:single )?time\b",
    ),
    _cue("impatience", 0.3, r"\?\?+|!!+", r"\bhello\?|\banyone\?", r"\bseriously\b"),
    # Capitals only, at least eight of them: shouting (as negative as the words are).
    _cue("shouting", 0.35, r"\A(?=(?:[^a-z]*[A-Z]){8})[^a-z]+\Z", flags=0),
)


@dataclass(frozen=True, slots=True)
class Frustration:
    """How frustrated one message reads, and why."""

    score: float
    """0 (no sign) to 1."""
    words: tuple[str, ...]
    """The customer's words that show it, as they wrote them, in order."""
    kinds: tuple[str, ...]
    """The kinds of cue found ('waiting', 'passed around', ...), strongest first."""

    @property
    def frustrated(self) -> bool:
        return self.score >= FRUSTRATED


NONE = Frustration(0.0, (), ())


def _combined(cues: tuple[Cue, ...], *, blind: bool) -> re.Pattern[str]:
    """One pattern for every cue that is case-blind (``blind``) or not: group ``c{i}`` is
    cue ``i``. The case-blind ones are compiled in lower case, for lower-cased text:
    Python's case-insensitive matching costs twice as much."""
    return re.compile(
        "|".join(
            f"(?P<c{i}>{cue.pattern.pattern.lower() if blind else cue.pattern.pattern})"
            for i, cue in enumerate(cues)
            if bool(cue.pattern.flags & re.IGNORECASE) == blind
        )
    )


# All cues in two passes over a message (the case-blind ones, then the case-sensitive):
# a search per cue costs ten passes, on the fast path of every message.
_BLIND = _combined(CUES, blind=True)
_CASED = _combined(CUES, blind=False)


def find_cues(text: str) -> list[tuple[Cue, str, int]]:
    """Each cue found in ``text``: the cue, the words, where they start; at most one per
    cue (its first match), never two on the same words (the leftmost, then the stronger,
    wins), in the order they appear."""
    found: list[tuple[Cue, str, int]] = []
    seen: set[int] = set()
    spans: list[tuple[int, int]] = []
    lower = text.lower()
    if len(lower) != len(text):  # a letter whose lower case is longer: read that instead
        text = lower
    matches = [*_BLIND.finditer(lower), *_CASED.finditer(text)]
    for match in sorted(matches, key=lambda m: m.start()):
        index = int(str(match.lastgroup)[1:])
        start, end = match.span()
        if index in seen or start == end or any(start < b and end > a for a, b in spans):
            continue
        seen.add(index)
        spans.append((start, end))
        found.append((CUES[index], text[start:end].strip(" ?!"), start))
    return found


def read_frustration(text: str, annoyed: float, negative: float) -> Frustration:
    """Frustration in ``text``, given the models' reading of it: ``annoyed`` the strongest
    of annoyance, anger and disappointment (0-1), ``negative`` P(negative) (0-1)."""
    model = MODEL_WEIGHT * max(annoyed, NEGATIVE_SHARE * negative)
    cues = find_cues(text)
    calm = 1.0 - model
    for cue, _, _ in cues:
        # A weak cue is as strong as the message is negative.
        weight = cue.weight if cue.weight >= 0.5 else cue.weight * max(annoyed, negative)
        calm *= 1.0 - weight
    score = round(1.0 - calm, 3)
    shown = [
        (cue, words) for cue, words, _ in cues if cue.weight >= 0.5 or max(annoyed, negative) >= 0.5
    ]
    kinds = sorted({cue.kind: cue.weight for cue, _ in shown}.items(), key=lambda kv: -kv[1])
    return Frustration(score, tuple(words for _, words in shown), tuple(k for k, _ in kinds))
