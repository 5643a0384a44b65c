"""A draft article from a conversation that solved the problem: the customer's question as
the title's source, the agent's answers as the body, in the agent's own words.

Extractive and offline: nothing is invented; greetings and pleasantries are left out
(:func:`warmline.domain.conversation.turns.substance_words` decides what has substance). A
person reviews the draft before anyone is shown it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from warmline.domain.conversation.summary import tidy
from warmline.domain.conversation.turns import (
    Turn,
    address_names,
    split_sentences,
    substance_words,
)
from warmline.domain.knowledge.articles import Article, slugify
from warmline.domain.labels import humanise

MAX_TITLE = 120
#: A sentence needs this many content words to be worth keeping in an article.
MIN_WORDS = 3


def draft_from_conversation(
    messages: Sequence[Mapping[str, Any]],
    *,
    reason: str | None,
    owner: str,
    interaction: str,
) -> Article:
    """The draft: a title from the reason (or the customer's first question), the agent's
    substantive sentences as steps, and where it came from."""
    turns = [Turn(m["speaker"], str(m["text"])) for m in messages]
    names = address_names(s for t in turns for s in split_sentences(t.text))
    question = next((t.text for t in turns if t.speaker == "customer"), "")
    answers: list[str] = []
    for turn in turns:
        if turn.speaker != "agent":
            continue
        for sentence in split_sentences(turn.text):
            kept = tidy(sentence, names)
            if len(substance_words(kept, names)) >= MIN_WORDS and kept not in answers:
                answers.append(kept)
    title = (humanise(reason) or tidy(question, names) or "Answer from a conversation").strip()
    title = title[:1].upper() + title[1:MAX_TITLE]
    body_lines = [
        f"> A customer asked: “{question.strip()[:300]}”" if question else "",
        "",
        *(f"- {line}" for line in answers),
        "",
        f"_Drafted from conversation {interaction}; check it before publishing._",
    ]
    body = "\n".join(line for line in body_lines if line is not None).strip()
    if not answers:
        body += "\n\nThe agent's replies had nothing to keep: write the answer here."
    return Article(
        slug=slugify(f"draft {title} {interaction}")[:120].strip("-"),
        title=title,
        body=body,
        owner=owner,
        audience="internal",
    )
