"""A conversation as plain data: turns, their sentences and their words.

The summariser, the problem-statement finder and restatement detection all read
conversations the same way, so the splitting and the word lists live here once,
with what in a sentence is pleasantry rather than substance (greetings, thanks, the
agent's set phrases and the names people are addressed by).
Text is kept exactly as written (HTML-looking text stays text; escaping is the
renderer's job); only whitespace is normalised.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
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


# Pleasantries: what people say to open, thank, acknowledge, address and close, rather
# than what the contact was about. Set phrases are matched whole, so "of course" goes but
# "the course fee" stays; the word list holds only words that are pleasantries wherever
# they stand. Greetings and thanks are in STOPWORDS already.
_SET_PHRASES = re.compile(
    r"\b(?:"
    r"good\s+(?:morning|afternoon|evening|day|night)"
    r"|(?:many\s+)?thanks?(?:\s+you)?"
    r"(?:\s+(?:so|very)\s+much|\s+a\s+(?:lot|million)|\s+again)?"
    r"(?:\s+for\s+(?:calling|contacting(?:\s+us)?|getting\s+in\s+touch|holding|waiting"
    r"|(?:all\s+)?(?:your|the|that|this|everything)(?:\s+(?:call|patience|time|help|message"
    r"|email|understanding|information))?))?"
    r"|(?:you're|you\s+are)\s+(?:very\s+|most\s+|so\s+)?welcome|welcome\s+(?:to|back)"
    r"|(?:my|the|a)\s+pleasure|no\s+(?:problem|worries)|not\s+a\s+problem|of\s+course"
    r"|(?:excuse|pardon)\s+me|sorry\s+to\s+(?:bother|trouble|interrupt)\s+you"
    r"|sure\s+thing|(?:that\s+)?makes\s+sense|i\s+understand"
    r"|sounds\s+(?:good|great|fine|perfect|lovely|brilliant)"
    r"|how\s+(?:can|may|could|might)\s+(?:i|we)\s+(?:help|assist)(?:\s+you)?(?:\s+today)?"
    r"|what\s+can\s+(?:i|we)\s+do\s+for\s+you(?:\s+today)?"
    r"|(?:can|may|could)\s+(?:i|we)\s+(?:help|assist)\s+(?:you\s+)?"
    r"(?:with\s+anything(?:\s+else)?)?(?:\s+today)?"
    r"|(?:is\s+there\s+)?anything\s+else(?:\s+(?:i|we)\s+can\s+(?:help|do|assist)"
    r"(?:\s+you)?(?:\s+with)?(?:\s+for\s+you)?)?(?:\s+today)?"
    r"|(?:have|enjoy)\s+a\s+(?:nice|good|great|lovely|wonderful|fantastic)\s+"
    r"(?:day|evening|weekend|afternoon|morning|night|one|time)"
    r"|take\s+care|see\s+you(?:\s+(?:later|soon|tomorrow))?"
    r"|talk\s+(?:to\s+you\s+)?(?:later|soon)"
    r"|how\s+are\s+you(?:\s+doing)?(?:\s+today)?"
    r"|(?:nice|good|great|pleased|lovely)\s+to\s+(?:meet|see|hear\s+from|talk\s+to|speak\s+"
    r"(?:to|with))\s+you|(?:glad|happy|pleased)\s+(?:i\s+could|to\s+(?:have\s+)?)\s*help(?:ed)?"
    r"|my\s+name(?:'s|\s+is)|(?:you're|you\s+are)\s+(?:speaking|talking)\s+(?:to|with)"
    r"|speaking(?=\s*(?:[,.!]|$))"
    r")\b",
    re.IGNORECASE,
)
_PLEASANTRY_WORD_TEXT = """
    hiya howdy greetings goodnight cheers thx ty np ta cya pleasure appreciate appreciated
    absolutely certainly definitely indeed exactly perfect excellent wonderful lovely
    brilliant awesome cool noted understood gotcha sir madam ma'am maam dear
    bonjour bonsoir salut merci hola gracias buenos buenas días dias hallo danke ciao
    buongiorno grazie olá obrigado obrigada 你好 您好 谢谢 こんにちは ありがとう
    안녕하세요 감사합니다 привет здравствуйте спасибо مرحبا شكرا
"""
PLEASANTRY_WORDS = frozenset(_PLEASANTRY_WORD_TEXT.split())
# Every word the set phrases spell out (and a few letters of their syntax, harmlessly): a
# sentence with none of them among its content words has no set phrase to remove.
_SET_PHRASE_WORDS = frozenset(re.findall(r"[a-z']+", _SET_PHRASES.pattern))
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr"})
_HONORIFIC = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\b\.?")
# A greeting or thanks, which may name whoever it addresses ("Hi Kwame", "Thanks, Mr. Lee").
_GREETING = re.compile(
    r"\b(?=[abcdeghmpstw])(?:hi|hello|hey|hiya|howdy"
    r"|dear\s+(?:sir|madam)(?:\s+or\s+madam)?|dear|morning|afternoon|evening"
    r"|good\s+(?:morning|afternoon|evening|day)|(?:excuse|pardon)\s+me"
    r"|sorry\s+to\s+(?:bother|trouble|interrupt)\s+you"
    r"|thanks(?:\s+(?:so|very)\s+much|\s+a\s+lot)?"
    r"|thank\s+you(?:\s+(?:so|very)\s+much)?|cheers|bye|goodbye|welcome\s+back"
    r"|bonjour|bonsoir|salut|hola|hallo|ciao|merci|gracias|danke|grazie)"
    r"(?:\s+(?:there|all|everyone|again|team|guys|folks))?\b",
    re.IGNORECASE,
)
# Greetings that can run straight into what follows ("Hello can you ..."); the others
# ("Thanks for ...", "Morning payments ...") open a sentence only when punctuation closes them.
_BARE_GREETINGS = frozenset(
    {"hi", "hello", "hey", "hiya", "howdy", "dear", "bonjour", "hola", "hallo", "ciao"}
)
# Punctuation or a symbol closes a greeting ("Hello,", "Hi 👋"); a hyphen only with a space
# after it ("Hey - my card", not "Hi-fi").
_CLOSES_GREETING = re.compile(r"\s*(?:[^\w\s\"'“‘(\[-]+|-+(?=\s))")
_LEADS_INTO_GREETING = frozenset({"oh", "ah", "well", "ok", "okay", "and", "yes", "yeah"})
_INTRODUCTION = re.compile(
    r"\b(?:my\s+name(?:'s|\s+is)|(?:speaking|talking)\s+(?:to|with)|through\s+to"
    r"|for\s+(?:calling|contacting)|welcome\s+to)\s+",
    re.IGNORECASE,
)
_TRAILING_ADDRESS = re.compile(r",\s*([^,]{1,40}?)\s*[.!?…]*\s*$")
_NAME_WORD = re.compile(r"[^\W\d_][\w'’-]*\.?")
# A word after the first that may be capitalised (not "I"): a sentence without one names nobody.
_LATER_CAPITAL = re.compile(r"\W(?!I\b|I['’])[^\W\d_a-z]")


def _leading_name(text: str, names: frozenset[str] = frozenset()) -> tuple[list[str], int]:
    """The name ``text`` opens with (casefolded words) and where it ends.

    A name is an honorific and a name ("Mr. Okafor"), up to three capitalised words that
    are not function words ("Kwame Mensah"), or words of ``names``; ``([], 0)`` if none.
    """
    found: list[str] = []
    end = 0
    for match in _NAME_WORD.finditer(text):
        if text[end : match.start()].strip() or len(found) >= 3:
            break
        token = match.group()
        word = token.rstrip(".").casefold().replace("’", "'")
        if found or word not in _HONORIFICS:
            if not (token[0].isupper() or word in names) or word in STOPWORDS:
                break
            if token.endswith("."):  # a full stop after a name ends the sentence
                found.append(word)
                end = match.end() - 1
                break
        found.append(word)
        end = match.end()
    if found and found[0] in _HONORIFICS and len(found) < 2:
        return [], 0
    return found, end


def address_names(sentences: Iterable[str]) -> frozenset[str]:
    """Words the conversation uses as the names of people (casefolded).

    Whoever a greeting or thanks addresses ("Hi Kwame", "Thanks, Mr. Lee"), whoever is
    addressed by a sentence with nothing else in it ("Of course, Kwame."), whoever
    introduces themselves ("my name is Dave") and whoever follows an honorific.
    """
    names: set[str] = set()
    for text in sentences:
        opening = _GREETING.match(text)
        if opening:  # "Hi Kwame!", or "hi kwame" from someone who never capitalises
            rest = text[opening.end() :].strip(" ,.!?…")
            if (
                _NAME_WORD.fullmatch(rest)
                and rest.casefold() not in STOPWORDS
                and (rest[0].isupper() or text == text.lower())
            ):
                names.add(rest.casefold().replace("’", "'"))
        if not _LATER_CAPITAL.search(text):
            continue
        for cue in _GREETING.finditer(text):
            if _opens_clause(text, cue.start()):
                found, _ = _addressed(text[cue.end() :])
                names.update(w for w in found if w not in _HONORIFICS)
        for cue in _INTRODUCTION.finditer(text):
            found, _ = _leading_name(text[cue.end() :])
            names.update(w for w in found if w not in _HONORIFICS)
        for honorific in _HONORIFIC.finditer(text):
            found, _ = _leading_name(text[honorific.start() :])
            names.update(found[1:])
        trailing = _TRAILING_ADDRESS.search(text)
        if trailing and not substance_words(text[: trailing.start()]):
            found, end = _leading_name(trailing.group(1))
            if end == len(trailing.group(1)):
                names.update(w for w in found if w not in _HONORIFICS)
    return frozenset(names)


def _addressed(rest: str, names: frozenset[str] = frozenset()) -> tuple[list[str], str]:
    """The name a greeting addresses and what follows it, from the text after the greeting.

    "Hi Kwame can ..." names Kwame; after a comma, only a name that punctuation closes is
    one ("Hello, Mr. Lee, ..."), not a capitalised first word ("Hello, Card declined").
    """
    body = rest.lstrip(", ")
    found, end = _leading_name(body, names)
    after = body[end:]
    if found and (not rest.startswith(",") or _CLOSES_GREETING.match(after) or not after.strip()):
        return found, after
    return [], rest


def _opens_clause(text: str, start: int) -> bool:
    """Whether a greeting at ``start`` opens a clause ("Oh, hi Kwame"), not "this morning"."""
    before = text[:start].rstrip()
    last = words(before)[-1:]
    if not before or before[-1] in ",.!?;:-–—":
        return True
    return bool(last) and last[0] in _LEADS_INTO_GREETING


def substance_words(
    text: str, names: frozenset[str] = frozenset(), *, content: Sequence[str] | None = None
) -> list[str]:
    """The content words of ``text`` that are not pleasantries: not in a set phrase
    ("thank you for calling", "how can I help", "of course"), not a pleasantry word
    ("cheers", "sir") and not one of ``names``. ``content``: ``text``'s content words,
    if the caller has them already."""
    found = content_words(text) if content is None else content
    if not _SET_PHRASE_WORDS.isdisjoint(found):
        found = content_words(_SET_PHRASES.sub(" ", text))
    return [
        w for w in found if w not in PLEASANTRY_WORDS and w not in names and w not in _HONORIFICS
    ]


def strip_opening(text: str, names: frozenset[str] = frozenset()) -> str:
    """``text`` without the greeting or thanks it opens with and the name that follows
    ("Hello,", "Hi Kwame,", "Thanks, Mr. Lee -"); ``text`` itself when it opens with none.

    A name alone at the start ("Kwame, your card ...") stays: on DialogSum's dev split,
    cutting it too cost ROUGE (the names are what a reader of the summary needs).
    """
    greeting = _GREETING.match(text)
    if not greeting:
        return text
    found, rest = _addressed(text[greeting.end() :], names)
    closed = _CLOSES_GREETING.match(rest)
    if closed:
        return rest[closed.end() :].lstrip()
    bare = greeting.group().split()[0].casefold() in _BARE_GREETINGS
    if found or (bare and rest[:1].isspace()):
        return rest.lstrip()
    return text
