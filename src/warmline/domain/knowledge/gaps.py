"""The questions no article answers: customers' questions grouped by meaning, the groups
ranked by how many ask and how far the articles are from what they ask.

A question is a gap when other customers' questions are closer to it in meaning than any
article is: its *novelty*, the mean cosine of its :data:`NEIGHBOURS` nearest questions
less its best article's, is among the highest :data:`NOVEL_SHARE` of the period's. A
question the articles answer is about as close to them as to the questions like it; one
they do not is closer to the questions. This finds the gap that a neighbouring article
answers with a high score (closing a joint account, asked of articles on opening one),
which a low score alone misses. A question is a gap too when its best article
scores below :data:`UNANSWERED`, or when its contact ended unresolved or the customer came
back about the same case and its best article scores below the period's median. Scores
are compared within the period, not against a fixed line: how high a good match scores
depends on the articles and the embedding. Gaps are grouped greedily by meaning (each
joins the closest group whose centre is within :data:`JOIN_SIMILARITY`, centres kept as
running means; a question left on its own joins the closest group at the end, if within),
then groups are ranked by their questions' novelty summed (how many ask, and how far the
articles are from what they ask), with the recent half of the period counted against the
earlier half for the trend. Each group keeps a few representative quotes (the questions
nearest its centre), the reasons its contacts touch, and how often they were resolved.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

#: Cosine (of wordllama vectors: paraphrases score 0.4-0.6, unrelated lines about 0) from
#: which a question joins a group. This, :data:`NOVEL_SHARE` and ranking by novelty were
#: chosen on Banking77 train utterances that are not in the benchmark's articles (3,080 of
#: them, over ten random sets of 8 articles removed, 15 % of contacts unresolved): the
#: removed intents leading a top-10 group, 5.6 of 8 on average, against 4.6 with the
#: lowest scores as gaps (``benchmarks/knowledge.py`` measures on the test split).
JOIN_SIMILARITY = 0.5
#: The share of a period's questions, the most novel, that are gaps whatever became of
#: their contact.
NOVEL_SHARE = 0.3
#: How many of the nearest other questions a question's novelty compares with.
NEIGHBOURS = 5
#: Rows of the questions' similarities computed at a time (a block of 512 by 5,000 is 10 MB).
_CHUNK = 512
#: Below this fused score no article answers a question, however the period's scores fall
#: (unrelated articles score about 0.1, a good match 0.4 and more).
UNANSWERED = 0.2
QUOTES = 3
MAX_QUOTE_CHARS = 200
MAX_MEMBERS = 200


@dataclass(frozen=True, slots=True)
class Question:
    """One customer's question and how its contact went."""

    text: str
    at: dt.datetime
    best_score: float
    """The fused score of the best article for it (0 when there are none)."""
    resolved: bool
    repeated: bool
    """The customer got in touch again about the same case."""
    reason: str | None = None
    interaction_id: str | None = None
    best_meaning: float = 0.0
    """The cosine of the question to its best article (0 when there are none)."""


@dataclass
class Gap:
    """A group of questions no article answers well."""

    size: int = 0
    recent: int = 0
    earlier: int = 0
    resolved: int = 0
    quotes: list[str] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    best_score: float = 0.0
    #: Contacts of the group that were resolved: what an article could be drafted from.
    resolved_examples: list[str] = field(default_factory=list)
    #: How unanswered the group is: the sum of one minus each question's best score.
    unanswered: float = 0.0
    #: What the group is ranked by: its questions' novelty (above zero) summed.
    novelty: float = 0.0
    #: The group's contacts (at most :data:`MAX_MEMBERS`).
    members: list[str] = field(default_factory=list)

    @property
    def trend(self) -> str:
        if self.recent > 1.5 * max(self.earlier, 1):
            return "rising"
        if self.earlier > 1.5 * max(self.recent, 1):
            return "falling"
        return "steady"

    @property
    def resolution_rate(self) -> float:
        return self.resolved / self.size if self.size else 0.0


def novelty(questions: Sequence[Question], vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    """Each question's mean cosine to its :data:`NEIGHBOURS` nearest other questions, less
    its cosine to its best article (``vectors``: one unit vector per question)."""
    n = len(questions)
    best = np.array([q.best_meaning for q in questions], dtype=np.float32)
    k = min(NEIGHBOURS, n - 1)
    if k < 1:
        return np.zeros(n, dtype=np.float32)
    vectors = np.asarray(vectors, dtype=np.float32)
    near = np.zeros(n, dtype=np.float32)
    for begin in range(0, n, _CHUNK):  # n by n similarities, a block of rows at a time
        block = vectors[begin : begin + _CHUNK] @ vectors.T
        rows = np.arange(len(block))
        block[rows, begin + rows] = -np.inf  # not its own neighbour
        near[begin : begin + len(block)] = np.partition(block, n - k, axis=1)[:, n - k :].mean(1)
    return near - best


def gap_flags(questions: Sequence[Question], novel: NDArray[np.float32]) -> list[bool]:
    """Which questions are gaps, judged against the period's own scores (``novel``: each
    question's :func:`novelty`)."""
    if not questions:
        return []
    scores = np.array([q.best_score for q in questions], dtype=np.float32)
    line, middle = np.quantile(novel, 1 - NOVEL_SHARE), np.median(scores)
    return [
        bool(
            q.best_score < UNANSWERED
            or novel[i] >= line
            or ((not q.resolved or q.repeated) and q.best_score < middle)
        )
        for i, q in enumerate(questions)
    ]


def find_gaps(
    questions: Sequence[Question],
    vectors: NDArray[np.float32],
    *,
    since: dt.datetime,
    until: dt.datetime,
    limit: int = 10,
) -> list[Gap]:
    """Groups of gap questions (``vectors``: one unit vector per question), the most
    novel first."""
    middle = since + (until - since) / 2
    dims = vectors.shape[1] if vectors.ndim == 2 else 0
    centres = np.zeros((len(questions), dims), dtype=np.float32)
    members: list[list[int]] = []
    novel = novelty(questions, vectors) if len(questions) else np.zeros(0, dtype=np.float32)
    flags = gap_flags(questions, novel)
    for i, question in enumerate(questions):
        if not flags[i] or not question.text.strip():
            continue
        vector = vectors[i]
        if not np.any(vector):
            continue
        best = -1
        if members:
            similarities = centres[: len(members)] @ vector
            j = int(np.argmax(similarities))
            if similarities[j] >= JOIN_SIMILARITY:
                best = j
        if best < 0:
            centres[len(members)] = vector
            members.append([i])
        else:
            members[best].append(i)
            n = len(members[best])
            centre = centres[best] * (n - 1) / n + vector / n
            centres[best] = centre / max(float(np.linalg.norm(centre)), 1e-9)
    # A question left on its own only because it came before a group's centre moved close
    # enough (the pass above depends on the order questions came in) joins it now.
    groups = [j for j, ids in enumerate(members) if len(ids) > 1]
    if groups:
        for ids in members:
            if len(ids) == 1:
                similarities = centres[groups] @ vectors[ids[0]]
                if similarities.max() >= JOIN_SIMILARITY:
                    members[groups[int(np.argmax(similarities))]].append(ids[0])
    gaps = []
    for j in groups:
        centre, ids = centres[j], members[j]
        gap = Gap()
        for i in ids:
            question = questions[i]
            gap.size += 1
            gap.resolved += question.resolved
            gap.unanswered += 1 - question.best_score
            gap.novelty += max(float(novel[i]), 0.0)
            if question.interaction_id and len(gap.members) < MAX_MEMBERS:
                gap.members.append(question.interaction_id)
            gap.best_score = max(gap.best_score, question.best_score)
            if question.at >= middle:
                gap.recent += 1
            else:
                gap.earlier += 1
            if question.reason:
                gap.reasons[question.reason] += 1
            if question.resolved and question.interaction_id and len(gap.resolved_examples) < 3:
                gap.resolved_examples.append(question.interaction_id)
        nearest = sorted(ids, key=lambda i: -float(vectors[i] @ centre))
        seen: set[str] = set()
        for i in nearest:
            quote = questions[i].text.strip()[:MAX_QUOTE_CHARS]
            if quote.casefold() not in seen:
                seen.add(quote.casefold())
                gap.quotes.append(quote)
            if len(gap.quotes) == QUOTES:
                break
        gaps.append(gap)
    gaps.sort(key=lambda g: (-g.novelty, -g.unanswered, g.quotes[0] if g.quotes else ""))
    return gaps[:limit]
