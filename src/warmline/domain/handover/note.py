"""The warm handover note: what the receiving agent needs so the customer never restates.

Built from plain inputs: the conversation's turns, who the customer is and the name
they like, the case title, open commitments, how the customer feels (as the
sentiment model reports it), who is handing over to whom, and an optional remark.
Everything in the note is either given or a sentence of the conversation (the
customer's lines are quoted verbatim); the one composed sentence is the optional
introduction, built from the seed's pattern: "Miles, I'd like to introduce you to
Dave, who looks after card payments. Dave, Miles's card got declined ...".
Information, never a script beyond that introduction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from warmline.domain.conversation.problem_statement import (
    Finding,
    next_steps,
    problem_lines,
    tried_and_found,
    wants,
)
from warmline.domain.conversation.summary import summarise, trim
from warmline.domain.conversation.turns import Turn

MAX_QUOTES = 3
MAX_WANTS = 2
MAX_TRIED = 3
MAX_FOUND = 3
MAX_LINE_CHARS = 300
MAX_REMARK_CHARS = 1000


@dataclass(frozen=True, slots=True)
class Quote:
    """A customer's sentence, verbatim, and when they said it."""

    text: str
    at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Commitment:
    """A promise made to the customer: what, by when, by whom."""

    text: str
    due: dt.datetime | None = None
    made_by: str | None = None


@dataclass(frozen=True, slots=True)
class Feeling:
    """How the customer feels, as the sentiment model says: 'frustrated', 'worsening', a line."""

    label: str
    trend: str | None = None
    line: str | None = None


@dataclass(frozen=True, slots=True)
class Receiver:
    """Who takes over: a named agent, or a queue; ``role`` says what they look after."""

    name: str
    is_queue: bool = False
    role: str | None = None


@dataclass(frozen=True, slots=True)
class HandoverNote:
    """A structured handover note. ``to_json`` gives a JSON-ready dict, ``from_json`` reads it."""

    customer_name: str
    case_title: str | None
    summary: str
    issue: tuple[Quote, ...]
    tried: tuple[str, ...]
    found: tuple[str, ...]
    commitments: tuple[Commitment, ...]
    feeling: Feeling | None
    wants: tuple[Quote, ...]
    next_step: str | None
    introduction: str
    sender: str
    receiver: Receiver
    remark: str | None = None
    rewritten_by: str | None = field(default=None)  # the LLM model, if one rewrote it

    def to_json(self) -> dict[str, Any]:
        """The note as JSON-ready data: datetimes become ISO 8601 strings."""
        data: dict[str, Any] = _jsonable(asdict(self))
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HandoverNote:
        """Read back what :meth:`to_json` wrote."""
        feeling = data.get("feeling")
        return cls(
            customer_name=data["customer_name"],
            case_title=data.get("case_title"),
            summary=data["summary"],
            issue=tuple(_quote(q) for q in data["issue"]),
            tried=tuple(data["tried"]),
            found=tuple(data["found"]),
            commitments=tuple(
                Commitment(c["text"], _when(c.get("due")), c.get("made_by"))
                for c in data["commitments"]
            ),
            feeling=Feeling(**feeling) if feeling else None,
            wants=tuple(_quote(q) for q in data["wants"]),
            next_step=data.get("next_step"),
            introduction=data["introduction"],
            sender=data["sender"],
            receiver=Receiver(**data["receiver"]),
            remark=data.get("remark"),
            rewritten_by=data.get("rewritten_by"),
        )


def build_handover_note(
    turns: Sequence[Turn],
    *,
    customer_name: str | None,
    preferred_name: str | None = None,
    case_title: str | None = None,
    commitments: Sequence[Commitment] = (),
    feeling: Feeling | None = None,
    sender: str,
    receiver: Receiver,
    remark: str | None = None,
) -> HandoverNote:
    """Build the handover note for an interaction.

    ``turns`` are the conversation so far, oldest first; put the case's earlier
    interactions first (e.g. the chat before this call) when the customer stated
    the issue there. The customer is called by ``preferred_name``, else the first
    word of ``customer_name``, else "the customer". Open commitments are all kept,
    soonest due first.
    """
    name = name_to_use(customer_name, preferred_name)
    asked = wants(turns)
    asked_texts = {f.text for f in asked}
    # "Can you just remove it?" is a question but says what they want, not what is wrong.
    stated = problem_lines(turns)
    stated = [f for f in stated if f.text not in asked_texts] or stated
    # Said again in a later contact, a line is quoted once, from when it was first said.
    first_said = {f.text: f for f in reversed(stated)}
    stated = [f for f in stated if first_said[f.text] is f]
    issue = tuple(_quote_of(f) for f in stated[:MAX_QUOTES])
    wanted = tuple(_quote_of(f) for f in asked if f.text not in _texts(issue))
    checks = tried_and_found(turns)
    quoted = _texts(issue) | _texts(wanted)
    promised = tuple(sorted(commitments, key=_due_order))
    return HandoverNote(
        customer_name=name,
        case_title=case_title,
        summary=summarise(turns),
        issue=issue,
        tried=_lines(checks, "tried", MAX_TRIED, quoted),
        found=_lines(checks, "found", MAX_FOUND, quoted),
        commitments=promised,
        feeling=feeling,
        wants=wanted[:MAX_WANTS],
        next_step=_next_step(turns, promised),
        introduction=introduction(name, receiver, issue, case_title),
        sender=sender,
        receiver=receiver,
        remark=trim(remark.strip(), MAX_REMARK_CHARS) if remark and remark.strip() else None,
    )


def render_text(note: HandoverNote) -> str:
    """The note as plain text, for logs and the LLM prompt; customer lines in quotes."""
    to = f"the {note.receiver.name} queue" if note.receiver.is_queue else note.receiver.name
    if note.receiver.role:
        to += f" ({note.receiver.role})"
    out = [f"Handover from {note.sender} to {to}", f"Customer: {note.customer_name}"]
    if note.case_title:
        out.append(f"Case: {note.case_title}")
    if note.summary:
        out.append(f"Summary: {note.summary}")
    out += _section(f"Issue, in {possessive(note.customer_name)} words", map(_quoted, note.issue))
    out += _section("Tried", note.tried)
    out += _section("Found", note.found)
    out += _section("Commitments", map(_promise, note.commitments))
    if note.feeling:
        out.append(f"Feeling: {_feeling(note.feeling)}")
    out += _section("Wants", map(_quoted, note.wants))
    if note.next_step:
        out.append(f"Next step: {note.next_step}")
    if note.remark:
        out.append(f"Remark from {note.sender}: {note.remark}")
    out.append(f"Introduction: {note.introduction}")
    return "\n".join(out)


def _section(title: str, lines: Iterable[str]) -> list[str]:
    items = [f"  - {line}" for line in lines]
    return [f"{title}:", *items] if items else []


def _quoted(quote: Quote) -> str:
    when = f" ({_clock(quote.at)})" if quote.at else ""
    return f"“{quote.text}”{when}"


def _promise(commitment: Commitment) -> str:
    details = []
    if commitment.due:
        details.append(f"due {_clock(commitment.due)}")
    if commitment.made_by:
        details.append(f"made by {commitment.made_by}")
    return commitment.text + (f" ({', '.join(details)})" if details else "")


def _feeling(feeling: Feeling) -> str:
    text = feeling.label + (f", {feeling.trend}" if feeling.trend else "")
    return text + (f": “{feeling.line}”" if feeling.line else "")


def _clock(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


UNKNOWN_NAME = "the customer"


def name_to_use(name: str | None, preferred_name: str | None) -> str:
    """The name the customer likes: preferred name, else first name, else 'the customer'."""
    if preferred_name and preferred_name.strip():
        return preferred_name.strip()
    if name and name.split():
        return name.split()[0]
    return UNKNOWN_NAME


def possessive(name: str) -> str:
    """'Miles' -> "Miles's", 'the customer' -> "the customer's"."""
    return f"{name}'s"


def introduction(
    name: str, receiver: Receiver, issue: Sequence[Quote], case_title: str | None
) -> str:
    """The optional introduction line, the seed's warm handover in two sentences."""
    role = f", who looks after {receiver.role}" if receiver.role else ""
    if receiver.is_queue:
        role = f", who look after {receiver.role}" if receiver.role else ""
        greeting = f"{name}, I'm passing you to our {receiver.name} team{role}."
        address = ""
    else:
        # Desk keys are often named by a first name in lower case ("dave"); people are not.
        lower_word = receiver.name.isalpha() and receiver.name.islower()
        person = receiver.name.capitalize() if lower_word else receiver.name
        greeting = f"{name}, I'd like to introduce you to {person}{role}."
        address = f"{person}, "
    if name == UNKNOWN_NAME:
        # Nobody is greeted as "the customer": the line starts with the introduction.
        greeting = _capitalise_first(greeting.removeprefix(f"{name}, "))
    about = _about(name, issue, case_title)
    return f"{greeting} {_capitalise_first(address + about)}"


def _about(name: str, issue: Sequence[Quote], case_title: str | None) -> str:
    if issue:
        told = third_person(issue[0].text, name)
        if told:
            return told
        return f"{name} has been in touch about this, in their words: “{issue[0].text}”"
    if case_title:
        return f"{name} has been in touch about {_lower_first(case_title)}."
    return f"{name} has been in touch and we'd like your help."


# First-person openings we can retell without guessing anyone's pronouns; {n} is the
# name, {p} its possessive, {v} the verb the customer used.
_OPENINGS = tuple(
    (re.compile(pattern, re.IGNORECASE), template)
    for pattern, template in (
        (r"^my\b", "{p}"),
        (r"^(?:i'm|i am)\b", "{n} is"),
        (r"^(?:i've|i have)\b", "{n} has"),
        (r"^(?:i don't|i do not)\b", "{n} doesn't"),
        (
            r"^i (?P<v>can't|cannot|can|could|couldn't|was|wasn't|had|hadn't|did|didn't|"
            r"will|won't|would|wouldn't|\w+ed)\b",
            "{n} {v}",
        ),
    )
)
_FIRST_PERSON = re.compile(r"\b(i|me|my|mine|myself|i'm|i've|i'd|i'll)\b", re.IGNORECASE)


def third_person(sentence: str, name: str) -> str | None:
    """The customer's sentence retold with their name, or None if that needs a pronoun.

    "My card got declined at the fuel station" -> "Miles's card got declined at the
    fuel station"; "I can't sign in to the app" -> "Miles can't sign in to the app". A
    sentence with any other first-person word ("... my money") is left alone: we do not
    know their pronouns.
    """
    for pattern, template in _OPENINGS:
        match = pattern.match(sentence.replace("’", "'"))
        if not match:
            continue
        rest = sentence[match.end() :]
        if _FIRST_PERSON.search(rest.replace("’", "'")):
            return None
        # The customer's own spelling of the verb (a curly apostrophe stays curly).
        verb = sentence[match.start("v") : match.end("v")] if "v" in match.groupdict() else ""
        return template.format(n=name, p=possessive(name), v=verb) + rest
    return None


def _capitalise_first(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _lower_first(text: str) -> str:
    # "Card declined at Fuel & Go" reads as "card declined at Fuel & Go" mid-sentence,
    # but an acronym ("ATM withdrawal") keeps its capitals.
    first = text.split(" ", 1)[0]
    return text if first.isupper() else text[:1].lower() + text[1:]


def _next_step(turns: Sequence[Turn], commitments: Sequence[Commitment]) -> str | None:
    said = next_steps(turns)
    if said:
        return trim(said[-1].text, MAX_LINE_CHARS)
    if commitments:
        return trim(commitments[0].text, MAX_LINE_CHARS)
    return None


def _lines(findings: Sequence[Finding], kind: str, limit: int, quoted: set[str]) -> tuple[str, ...]:
    """The findings of ``kind``, each once, leaving out lines the note already quotes
    (a customer's "I sent £250 on Monday" is the issue, not something tried)."""
    lines = (trim(f.text, MAX_LINE_CHARS) for f in findings if f.kind == kind)
    return tuple(dict.fromkeys(line for line in lines if line not in quoted))[:limit]


def _quote_of(finding: Finding) -> Quote:
    return Quote(trim(finding.text, MAX_LINE_CHARS), finding.turn.at)


def _texts(quotes: Sequence[Quote]) -> set[str]:
    return {q.text for q in quotes}


def _due_order(commitment: Commitment) -> tuple[bool, dt.datetime]:
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return (commitment.due is None, commitment.due or far)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _when(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _quote(data: Mapping[str, Any]) -> Quote:
    return Quote(data["text"], _when(data.get("at")))
