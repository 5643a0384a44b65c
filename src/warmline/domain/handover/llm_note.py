"""Pure helpers for an optional LLM rewrite of a handover note (no HTTP here).

:func:`chat_request` builds the JSON body for any OpenAI-compatible
``/v1/chat/completions`` endpoint; :func:`parse_rewrite` checks the response strictly
and returns the rewritten note, or raises :class:`RewriteRejected` with the reason, so
the caller keeps the extractive note and logs why.

The model only rewords the prose (summary, tried, found, next step, introduction,
commitment wording). It never writes customer quotes: it picks which of the given
quotes to keep, by id, and they are copied verbatim from the original. It must keep
every commitment (by id; due times and who made them are not its to change), quote
nothing the customer did not say, and bring in no number the note did not hold (an
amount, a date or a card number that was not there is an invented fact).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from warmline.domain.handover.note import Commitment, HandoverNote, Quote, render_text

MAX_LINE_CHARS = 300
MAX_INTRODUCTION_CHARS = 600
MAX_ITEMS = 5

Line = Annotated[str, StringConstraints(min_length=1, max_length=MAX_LINE_CHARS)]
Intro = Annotated[str, StringConstraints(min_length=1, max_length=MAX_INTRODUCTION_CHARS)]
Id = Annotated[str, StringConstraints(pattern=r"^[qwc][0-9]{1,3}$")]

SYSTEM_PROMPT = (
    "You rewrite handover notes for contact-centre agents so they read clearly and "
    "briefly. Keep every fact; add none. Never invent names, amounts, dates, numbers, "
    "causes or promises. Never put words in the customer's mouth: customer quotes are "
    "referenced by id only, and you may not quote the customer anywhere else. Keep every "
    "commitment. Write plain text, no markdown. Answer with one JSON object only."
)

RESPONSE_SHAPE = {
    "summary": "one line, at most 300 characters",
    "issue_ids": "ids of the customer quotes that state the issue, most telling first",
    "wants_ids": "ids of the customer quotes that say what they want",
    "tried": "list of short lines: what was tried (at most 5)",
    "found": "list of short lines: what was found (at most 5)",
    "commitments": "every commitment: [{'id': 'c1', 'text': 'reworded text'}]",
    "next_step": "one line, or null if the note has none",
    "introduction": "the introduction line, same people and names, at most 600 characters",
}


class RewriteRejected(ValueError):
    """The LLM's answer cannot be used; ``reason`` says why (for the log)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class _CommitmentText(_Strict):
    id: Id
    text: Line


class _Rewrite(_Strict):
    summary: Line
    issue_ids: list[Id] = Field(max_length=MAX_ITEMS)
    wants_ids: list[Id] = Field(max_length=MAX_ITEMS)
    tried: list[Line] = Field(max_length=MAX_ITEMS)
    found: list[Line] = Field(max_length=MAX_ITEMS)
    commitments: list[_CommitmentText] = Field(max_length=100)
    next_step: Line | None
    introduction: Intro


def chat_request(note: HandoverNote, model: str, *, json_mode: bool = True) -> dict[str, Any]:
    """The chat-completions request body asking ``model`` to rewrite ``note``.

    ``json_mode`` adds ``response_format: {"type": "json_object"}``; turn it off for
    servers that reject that field (the answer is checked the same way either way).
    """
    body: dict[str, Any] = {
        "model": model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": _user_prompt(note)},
        ],
    }
    if json_mode:
        body["response_format"] = {"type": "json_object"}
    return body


def _user_prompt(note: HandoverNote) -> str:
    payload = {
        "customer_name": note.customer_name,
        "case_title": note.case_title,
        "from_agent": note.sender,
        "to": note.receiver.name,
        "to_is_queue": note.receiver.is_queue,
        "to_role": note.receiver.role,
        "summary": note.summary,
        "customer_quotes": [
            *({"id": f"q{i}", "text": q.text} for i, q in enumerate(note.issue, 1)),
            *({"id": f"w{i}", "text": q.text} for i, q in enumerate(note.wants, 1)),
        ],
        "tried": list(note.tried),
        "found": list(note.found),
        "commitments": [
            {"id": f"c{i}", "text": c.text, "made_by": c.made_by}
            for i, c in enumerate(note.commitments, 1)
        ],
        "feeling": dataclasses.asdict(note.feeling) if note.feeling else None,
        "next_step": note.next_step,
        "introduction": note.introduction,
        "remark_from_agent": note.remark,
    }
    return (
        "Rewrite this handover note. Answer with a JSON object of exactly these keys:\n"
        f"{json.dumps(RESPONSE_SHAPE, indent=1)}\n\nThe note:\n"
        f"{json.dumps(payload, ensure_ascii=False, indent=1)}"
    )


def parse_rewrite(response_json: Any, original: HandoverNote) -> HandoverNote:
    """The rewritten note from a chat-completions response, checked strictly.

    Raises :class:`RewriteRejected` when the response is not a complete answer, is not
    the JSON shape asked for, breaks a length limit, drops or invents a commitment,
    quotes the customer beyond the given quotes, or brings in a new number or drops a
    name from the introduction.
    """
    answer = _answer(response_json)
    try:
        rewrite = _Rewrite.model_validate(answer)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "answer"
        raise RewriteRejected(f"wrong shape at {where}: {first['msg']}") from None
    issue = _pick(rewrite.issue_ids, original.issue, "q")
    wants = _pick(rewrite.wants_ids, original.wants, "w")
    if original.issue and not issue:
        raise RewriteRejected("the customer's own statement of the issue was dropped")
    commitments = _commitments(rewrite.commitments, original.commitments)
    prose = [
        rewrite.summary,
        *rewrite.tried,
        *rewrite.found,
        rewrite.next_step or "",
        rewrite.introduction,
        *(c.text for c in commitments),
    ]
    _check_prose(prose, original)
    _check_introduction(rewrite.introduction, original)
    model = response_json.get("model") if isinstance(response_json, dict) else None
    return dataclasses.replace(
        original,
        summary=rewrite.summary,
        issue=issue,
        wants=wants,
        tried=tuple(rewrite.tried),
        found=tuple(rewrite.found),
        commitments=commitments,
        next_step=rewrite.next_step,
        introduction=rewrite.introduction,
        rewritten_by=model if isinstance(model, str) and model else "llm",
    )


_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def _answer(response_json: Any) -> Any:
    """The JSON object in the first choice's message content."""
    if not isinstance(response_json, dict):
        raise RewriteRejected("the response is not a JSON object")
    choices = response_json.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise RewriteRejected("the response has no choices")
    choice = choices[0]
    finish = choice.get("finish_reason")
    if finish not in (None, "stop"):
        raise RewriteRejected(f"the answer did not finish (finish_reason {finish!r})")
    message = choice.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str) or not content.strip():
        raise RewriteRejected("the answer has no text content")
    # Many models wrap JSON in a ```json fence even when asked not to; that much is fine.
    fenced = _FENCE.match(content.strip())
    text = fenced.group(1) if fenced else content
    try:
        answer = json.loads(text)
    except json.JSONDecodeError as error:
        raise RewriteRejected(f"the answer is not JSON ({error.msg})") from None
    if not isinstance(answer, dict):
        raise RewriteRejected("the answer is JSON but not an object")
    return answer


def _pick(ids: Sequence[str], quotes: Sequence[Quote], prefix: str) -> tuple[Quote, ...]:
    if len(set(ids)) != len(ids):
        raise RewriteRejected(f"a quote id is repeated: {list(ids)}")
    known = {f"{prefix}{i}": quote for i, quote in enumerate(quotes, 1)}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise RewriteRejected(f"unknown quote ids {unknown}: only the given quotes may be used")
    return tuple(known[i] for i in ids)


def _commitments(
    rewritten: Sequence[_CommitmentText], original: Sequence[Commitment]
) -> tuple[Commitment, ...]:
    by_id = {c.id: c.text for c in rewritten}
    expected = [f"c{i}" for i in range(1, len(original) + 1)]
    if len(by_id) != len(rewritten):
        raise RewriteRejected("a commitment id is repeated")
    missing = [i for i in expected if i not in by_id]
    if missing:
        raise RewriteRejected(f"commitments dropped: {missing}")
    extra = sorted(set(by_id) - set(expected))
    if extra:
        raise RewriteRejected(f"commitments invented: {extra}")
    return tuple(
        dataclasses.replace(commitment, text=by_id[cid])
        for cid, commitment in zip(expected, original, strict=True)
    )


# Text in quotation marks: “...”, "..." or ‘...’ of at least two words.
_QUOTED = re.compile(r"[“\"‘]([^“”\"‘’]*\s[^“”\"‘’]*)[”\"’]")
_NUMBER = re.compile(r"\d+")
_FOLD_SPACES = re.compile(r"\s+")


def _fold(text: str) -> str:
    return _FOLD_SPACES.sub(" ", text.casefold().replace("’", "'")).strip()


def _check_prose(prose: Sequence[str], original: HandoverNote) -> None:
    for text in prose:
        if any(ord(ch) < 32 for ch in text):
            raise RewriteRejected("a line holds a line break or control character")
    said = [_fold(q.text) for q in (*original.issue, *original.wants)]
    if original.feeling and original.feeling.line:
        said.append(_fold(original.feeling.line))
    for text in prose:
        for quoted in _QUOTED.findall(text):
            piece = _fold(quoted).strip(" .,!?")
            if not any(piece in line for line in said):
                raise RewriteRejected(f"quotes words the customer did not say: “{quoted}”")
    known_numbers = set(_NUMBER.findall(render_text(original)))
    for text in prose:
        new = [n for n in _NUMBER.findall(text) if n not in known_numbers]
        if new:
            raise RewriteRejected(f"brings in numbers the note did not hold: {new}")


def _check_introduction(introduction: str, original: HandoverNote) -> None:
    folded = _fold(introduction)
    for name in (original.customer_name, original.receiver.name):
        if _fold(name) not in folded:
            raise RewriteRejected(f"the introduction no longer names {name}")
