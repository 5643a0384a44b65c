"""Restatement detection: is the customer explaining the same problem again?

After a transfer or a channel switch, a customer who has to say "my card got declined"
a second time has been made to repeat themselves. Given the problem statements they
already made in this case and a new customer line, :func:`find_restatement` says
whether the new line states one of them again, with the score and the earlier line.

Similarity is the cosine of WordLlama static embeddings (``wordllama``, MIT; its
256-d model ships inside the package and is read from there, never downloaded). On
labelled Banking77 pairs (same intent phrased differently against different intents)
it beat rapidfuzz's token-set ratio, content-word Jaccard and character TF-IDF; see
``benchmarks/summaries.py``. It is tuned for English: other languages get a score,
but a weaker one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from warmline.domain.conversation.problem_statement import problem_lines
from warmline.domain.conversation.turns import Turn

# The lowest threshold at which same-intent pairs from Banking77's TRAIN split are found
# with precision >= 0.90 (a wrong "second time explaining it" costs more than a missed
# one); benchmarks/summaries.py recomputes it and measures it on the test split.
THRESHOLD = 0.35
MAX_CHARS = 1000  # a statement longer than this says its problem in its first part
MAX_EARLIER = 50  # the most recent statements of the case are the ones repeated

#: Unit-length sentence embeddings, one row per text (zeros for a text with no words):
#: :func:`warmline.models.word_vectors.sentence_vectors` in the product.
Embed = Callable[[Sequence[str]], NDArray[np.float32]]


@dataclass(frozen=True, slots=True)
class Restatement:
    """The new line repeats ``earlier`` (similarity ``score``, cosine in [-1, 1])."""

    earlier: str
    score: float


def find_restatement(
    earlier: Sequence[str], new: str, embed: Embed, *, threshold: float = THRESHOLD
) -> Restatement | None:
    """The earlier statement ``new`` repeats most closely, if any reaches ``threshold``."""
    candidates = [line for line in earlier[-MAX_EARLIER:] if line.strip()]
    if not new.strip() or not candidates:
        return None
    scores = similarities(new, candidates, embed)
    best = int(np.argmax(scores))
    score = float(scores[best])
    if score < threshold:
        return None
    return Restatement(candidates[best], round(score, 4))


def legs(turns: Sequence[Turn]) -> list[list[Turn]]:
    """The turns of one interaction split where a different agent starts answering (a
    transfer inside the interaction): what the customer said to each agent in turn."""
    out: list[list[Turn]] = [[]]
    agent: str | None = None
    for turn in turns:
        if turn.speaker == "agent" and turn.agent_id:
            if agent is not None and turn.agent_id != agent and out[-1]:
                out.append([])
            agent = turn.agent_id
        out[-1].append(turn)
    return [leg for leg in out if leg]


def count_restatements(
    earlier: Sequence[Sequence[Turn]], turns: Sequence[Turn], embed: Embed
) -> int:
    """How many of the customer's problem statements in ``turns`` repeat one they already
    made: in ``earlier`` interactions of the same case, or to an earlier agent of this one.

    Problem statements are found by
    :func:`warmline.domain.conversation.problem_statement.problem_lines`; a statement
    repeats an earlier one when :func:`find_restatement` says so.
    """
    said = [f.text for conversation in earlier for f in problem_lines(conversation)]
    count = 0
    for leg in legs(turns):
        statements = [f.text for f in problem_lines(leg)]
        count += sum(1 for line in statements if find_restatement(said, line, embed) is not None)
        said.extend(statements)
    return count


def similarities(text: str, others: Sequence[str], embed: Embed) -> list[float]:
    """Cosine similarity of ``text`` to each of ``others`` (empty text scores 0)."""
    if not others:
        return []
    vectors = embed([t[:MAX_CHARS] for t in (text, *others)])
    return [float(v) for v in vectors[1:] @ vectors[0]]


def similarity(a: str, b: str, embed: Embed) -> float:
    """Cosine similarity of two lines."""
    return similarities(a, [b], embed)[0]
