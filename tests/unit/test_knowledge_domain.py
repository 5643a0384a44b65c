"""The knowledge domain on its own: articles checked, search fused and explained, gaps."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from warmline.domain.knowledge import gaps as gaps_module
from warmline.domain.knowledge import search as search_module
from warmline.domain.knowledge.articles import ArticleError, parse_markdown
from warmline.domain.knowledge.gaps import Question, find_gaps, gap_flags, novelty
from warmline.domain.knowledge.search import (
    Document,
    Feedback,
    Filters,
    KnowledgeIndex,
    search,
)


def unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def test_an_article_with_front_matter_is_read_and_a_bad_one_names_every_field() -> None:
    article = parse_markdown(
        "---\ntitle: Card declined\nproducts: [debit card]\nreview_date: 2027-06-01\n---\nWhy.\n"
    )
    assert (article.slug, article.products, article.review_date) == (
        "card-declined",
        ("debit card",),
        dt.date(2027, 6, 1),
    )
    with pytest.raises(ArticleError) as caught:
        parse_markdown("---\ntitle: X\nreview_date: soon\naudience: everyone\n---\nBody")
    fields = [where for where, _ in caught.value.problems]
    assert fields == ["review_date", "audience"]
    assert "2027-06-01" in caught.value.problems[0][1]


def _index(documents: list[Document], vectors: np.ndarray) -> KnowledgeIndex:
    return KnowledgeIndex.build(documents, vectors)


def test_words_and_meaning_both_find_articles_and_each_hit_says_why() -> None:
    rng = np.random.default_rng(1)
    vectors = np.stack([unit(rng.normal(size=16)) for _ in range(3)])
    documents = [
        Document(
            "a1", "card-declined", "Card declined", "A declined card.", channels=frozenset({"chat"})
        ),
        Document(
            "a2", "lost-card", "Lost card", "Freeze a lost card.", channels=frozenset({"voice"})
        ),
        Document("a3", "mortgage", "Mortgage rates", "Fixed and variable rates."),
    ]
    index = _index(documents, vectors)
    by_words = search(index, "my card was declined", unit(rng.normal(size=16)))
    assert by_words[0].document.slug == "card-declined"
    assert any("declined" in reason for reason in by_words[0].why)
    # No shared word at all: the article closest in meaning still comes first.
    by_meaning = search(index, "zzz qqq", vectors[2])
    assert by_meaning[0].document.slug == "mortgage"
    assert any(reason.startswith("close in meaning") for reason in by_meaning[0].why)
    # A filter keeps only the articles for that channel.
    only_voice = search(index, "card", vectors[0], filters=Filters(channel="voice"))
    assert [hit.document.slug for hit in only_voice] == ["lost-card"]
    assert search(index, "   ", vectors[0]) == []


def test_feedback_for_the_reason_moves_an_article_up_and_is_bounded() -> None:
    vector = unit(np.ones(8))
    documents = [
        Document("a1", "one", "Refund times", "How long a refund takes."),
        Document("a2", "two", "Refund times", "How long a refund takes."),
    ]
    index = _index(documents, np.stack([vector, vector]))
    plain = search(index, "refund", vector)
    assert plain[0].score == pytest.approx(plain[1].score)
    helped = search(index, "refund", vector, feedback={"a2": Feedback(helped=5)})
    assert helped[0].document.article_id == "a2"
    assert any("helped 5 times" in reason for reason in helped[0].why)
    assert Feedback(not_helped=1000).factor() == pytest.approx(1 / search_module.FEEDBACK_RANGE)


def _question(
    text: str, score: float, *, day: int = 1, resolved: bool = True, meaning: float | None = None
) -> Question:
    return Question(
        text=text,
        at=dt.datetime(2026, 11, day, tzinfo=dt.UTC),
        best_score=score,
        resolved=resolved,
        repeated=False,
        reason="billing",
        interaction_id=f"i-{text}-{day}",
        best_meaning=score if meaning is None else meaning,
    )


def test_gaps_are_the_weak_questions_grouped_by_meaning_most_unanswered_first() -> None:
    close = unit(np.array([1.0, 0.0, 0.0]))
    near = unit(np.array([0.95, 0.1, 0.0]))
    other = unit(np.array([0.0, 1.0, 0.0]))
    answered = unit(np.array([0.0, 0.0, 1.0]))
    questions = [
        _question("crypto transfer", 0.05, day=2),
        _question("crypto deposit", 0.08, day=25),
        _question("crypto refund", 0.1, day=26),
        _question("visa card", 0.1, day=3),
        _question("visa abroad", 0.15, day=4, resolved=False),
        *[_question(f"answered {i}", 0.9, day=10 + i) for i in range(6)],
    ]
    vectors = np.stack([close, near, close, other, other, *[answered] * 6])
    flags = gap_flags(questions, novelty(questions, vectors))
    assert flags[:5] == [True] * 5 and not any(flags[5:])
    found = find_gaps(
        questions,
        vectors,
        since=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        until=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
    )
    assert [gap.size for gap in found] == [3, 2]
    crypto, visa = found
    assert set(crypto.quotes) == {"crypto transfer", "crypto deposit", "crypto refund"}
    assert crypto.trend == "rising" and visa.trend == "falling"
    assert visa.resolution_rate == 0.5
    assert len(crypto.members) == 3 and crypto.reasons["billing"] == 3
    assert (
        gaps_module.find_gaps([], np.zeros((0, 3)), since=questions[0].at, until=questions[1].at)
        == []
    )


def test_a_question_answered_by_a_neighbouring_article_is_a_gap_when_others_ask_it_too() -> None:
    """Its best article scores as high as real answers do, but the customers asking it are
    closer to each other than that article is to any of them."""
    rng = np.random.default_rng(7)

    def around(centre: np.ndarray, n: int, spread: float) -> list[np.ndarray]:
        return [unit(centre + spread * rng.normal(size=len(centre))) for _ in range(n)]

    topics = [unit(rng.normal(size=16)) for _ in range(5)]
    answered = [
        _question(f"topic {t} question {i}", 0.7, day=1 + i, meaning=0.9)
        for t in range(4)
        for i in range(6)
    ]
    neighbour_answers = [
        _question(f"close joint account {i}", 0.7, day=1 + i, meaning=0.5) for i in range(6)
    ]
    questions = answered + neighbour_answers
    vectors = np.stack(
        [v for t in range(4) for v in around(topics[t], 6, 0.15)] + around(topics[4], 6, 0.15)
    )
    novel = novelty(questions, vectors)
    assert novel[24:].min() > novel[:24].max()
    flags = gap_flags(questions, novel)
    assert all(flags[24:]) and sum(flags[:24]) <= 6
    found = find_gaps(
        questions,
        vectors,
        since=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        until=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
    )
    assert found[0].quotes[0].startswith("close joint account") and found[0].size == 6
    assert found[0].best_score == 0.7  # as high as the answered ones: a low score would miss it
    assert novelty(questions[:1], vectors[:1]).tolist() == [0.0]


def test_a_question_asked_before_its_group_formed_still_joins_it() -> None:
    """Grouping goes in the order questions came; the first of three is too far from the
    second to start a group with it, but close to the group the second and third make."""
    first = unit(np.array([1.0, 0.0, 0.0]))
    second = unit(np.array([0.4, 1.0, 0.0]))
    third = unit(np.array([0.85, 0.75, 0.0]))
    assert float(first @ second) < gaps_module.JOIN_SIMILARITY <= float(second @ third)
    questions = [_question(f"statements {i}", 0.05, day=1 + i, resolved=False) for i in range(3)]
    found = find_gaps(
        questions,
        np.stack([first, second, third]),
        since=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        until=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
    )
    assert [gap.size for gap in found] == [3]
