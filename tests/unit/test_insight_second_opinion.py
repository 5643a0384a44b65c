from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from warmline.domain.insight.message_text import prepare
from warmline.domain.insight.reasons import ReasonModel, default_reason_model
from warmline.domain.insight.second_opinion import SecondOpinion, blend, shipped_second_opinion


class Recorded(SecondOpinion):
    """An opinion that says 'b' for certain, and remembers what it was asked."""

    def __init__(self) -> None:
        self.labels = ("a", "b")
        self.below = 0.8
        self.asked: list[str] = []

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        self.asked += texts
        return np.tile(np.array([0.0, 1.0], np.float32), (len(texts), 1))


def test_only_unsure_eligible_rows_are_asked_and_averaged() -> None:
    linear = np.array([[0.9, 0.1], [0.6, 0.4], [0.7, 0.3], [0.55, 0.45]], np.float32)
    opinion = Recorded()
    eligible = np.array([True, True, True, False])
    out = blend(linear, ["sure", "unsure", "also unsure", "off-topic"], opinion, eligible)
    assert opinion.asked == ["unsure", "also unsure"]
    assert np.allclose(out, [[0.9, 0.1], [0.3, 0.7], [0.35, 0.65], [0.55, 0.45]])
    assert np.allclose(linear[1], [0.6, 0.4])  # the input is left alone


def test_nothing_unsure_asks_nothing() -> None:
    opinion = Recorded()
    linear = np.array([[0.95, 0.05]], np.float32)
    assert blend(linear, ["sure"], opinion, np.array([True])) is linear
    assert opinion.asked == []


def test_shipped_opinion_knows_the_default_reasons() -> None:
    model = default_reason_model()
    assert model.second_opinion is shipped_second_opinion()
    assert model.second_opinion.labels == model.labels
    assert 0.0 < model.second_opinion.below < 1.0


def test_shipped_opinion_reads_banking_messages() -> None:
    opinion = shipped_second_opinion()
    texts = [
        "the cash machine kept my card and I have no other way to pay",
        "please shut my account down for good",
        "my new card still has not come in the post",
    ]
    p = opinion.probabilities(texts)
    assert p.shape == (3, len(opinion.labels))
    assert np.allclose(p.sum(axis=1), 1.0, atol=1e-4)
    best = [opinion.labels[i] for i in p.argmax(axis=1)]
    assert best == ["card_swallowed", "terminate_account", "card_arrival"]


def test_a_very_long_message_is_cut_not_refused() -> None:
    opinion = shipped_second_opinion()
    long = "my transfer has not arrived yet " * 3000
    p = opinion.probabilities([long, "ok"])
    assert np.isfinite(p).all() and np.allclose(p.sum(axis=1), 1.0, atol=1e-4)


def test_unsure_messages_get_the_second_opinion_when_scored() -> None:
    model = default_reason_model()
    plain = ReasonModel.from_bytes(model.to_bytes())
    assert plain.second_opinion is None
    texts = [
        "the cash machine kept my card and I have no other way to pay",
        "is there a limit on what I can top up",
        "my card got declined at the till",
    ]
    linear, _ = plain.scores([prepare(t) for t in texts])
    unsure = linear.max(axis=1) < model.second_opinion.below
    assert unsure.any() and not unsure.all()  # the examples exercise both paths
    both, _ = model.scores([prepare(t) for t in texts])
    assert np.allclose(both[~unsure], linear[~unsure])
    assert not np.allclose(both[unsure], linear[unsure])


def test_an_opinion_on_other_reasons_is_refused() -> None:
    model = default_reason_model()
    with pytest.raises(ValueError, match="same reasons"):
        ReasonModel.from_bytes(model.to_bytes(), second_opinion=Recorded())


def test_a_message_reads_the_same_alone_or_beside_longer_ones() -> None:
    opinion = shipped_second_opinion()
    short = "my card has not arrived"
    longer = "I ordered a card a month ago and it has still not come, what is going on with it"
    alone = opinion.probabilities([short])
    together = opinion.probabilities([longer, short, "hi"])
    # Padding is masked out; int8 activations are scaled per batch, so figures move a
    # little with the company a message is read in, never the reading.
    assert alone[0].argmax() == together[1].argmax()
    assert np.allclose(alone[0], together[1], atol=0.01)
    padded_as_text = opinion.probabilities([short + " [PAD]" * 20])
    assert padded_as_text[0].argmax() == alone[0].argmax()
