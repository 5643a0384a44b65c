"""Frustration: the customer's own words, with the models' reading of them."""

from __future__ import annotations

import pytest

from warmline.domain.insight.frustration import FRUSTRATED, find_cues, read_frustration


@pytest.mark.parametrize(
    ("text", "kind", "words"),
    [
        ("This is the third time I'm writing about it", "repeated contact", "third time"),
        ("I have called four times this week", "repeated contact", "four times"),
        ("still waiting for my refund", "waiting", "still waiting"),
        ("I've been on hold for forty minutes", "waiting", "on hold"),
        (
            "I was transferred three times and nobody could help",
            "passed around",
            "transferred three",
        ),
        ("You promised a call back on Monday", "broken promise", "promised"),
        ("fine, I'll go to the branch myself", "giving up", "fine, I'll"),
        ("I'm so frustrated with this", "said so", "frustrated"),
        ("every time I ring I get a different answer", "repeated contact", "every time I"),
    ],
)
def test_each_way_of_saying_it_is_found_with_its_words(text: str, kind: str, words: str) -> None:
    found = read_frustration(text, annoyed=0.0, negative=0.0)
    assert found.frustrated, found
    assert kind in found.kinds
    assert any(words in w for w in found.words), found.words


@pytest.mark.parametrize(
    "text",
    [
        "Is the branch still open on Saturdays?",
        "Can I order the same card again?",
        "Nobody else should have access to my account, can I add a password?",
        "Thanks, have a lovely evening",
        "I think my card was stolen, can you block it?",
        "A shop took £35 twice, the same amount each time",
    ],
)
def test_innocent_uses_of_the_words_are_not_frustration(text: str) -> None:
    # Calm readings from the models: weak cues ("still", "again") count only in a
    # message that already reads negative.
    found = read_frustration(text, annoyed=0.1, negative=0.1)
    assert not found.frustrated
    assert found.words == ()


def test_a_weak_cue_adds_to_a_negative_message() -> None:
    calm = read_frustration("the payment failed again", annoyed=0.1, negative=0.1)
    cross = read_frustration("the payment failed again", annoyed=0.6, negative=0.8)
    assert not calm.frustrated and cross.frustrated
    assert cross.words == ("again",) and cross.score > calm.score


def test_the_models_alone_can_say_it_but_worry_is_not_frustration() -> None:
    annoyed = read_frustration("honestly what is this", annoyed=0.9, negative=0.9)
    assert annoyed.frustrated and annoyed.words == ()
    worried = read_frustration("I'm scared someone took my money", annoyed=0.1, negative=0.95)
    assert not worried.frustrated


def test_scores_are_bounded_and_grow_with_evidence() -> None:
    one = read_frustration("third time asking", annoyed=0.2, negative=0.3)
    more = read_frustration(
        "third time asking, still waiting, you promised", annoyed=0.2, negative=0.3
    )
    assert FRUSTRATED <= one.score < more.score <= 1.0
    assert {"repeated contact", "waiting", "broken promise"} <= set(more.kinds)
    assert list(more.words) == ["third time", "still waiting", "promised"]


def test_someone_elses_waiting_counts_as_theirs_a_known_limit() -> None:
    # The cues read words, not who they are about.
    assert read_frustration("my son is still waiting for his card", 0.1, 0.1).frustrated


def test_cues_are_found_once_per_kind_in_order() -> None:
    found = find_cues("Again? third time, again and again")
    kinds = [cue.kind for cue, _, _ in found]
    assert len(kinds) == len(set(kinds))
    assert [start for _, _, start in found] == sorted(start for _, _, start in found)
