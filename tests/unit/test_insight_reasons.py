from __future__ import annotations

import random

import pytest

from warmline.demo.phrases import REASONS
from warmline.domain.insight import ReasonPrediction
from warmline.models.files import ModelFileError, pack, shipped
from warmline.models.reasons import REASON_FILE, ReasonModel, default_reason_model
from warmline.training.reasons import MIN_EXAMPLES, TrainReport, train_reason_model

SLOTS = {
    "amount": ["£12", "£61.50", "£250", "£1,200"],
    "merchant": ["Tesco", "the fuel station", "Amazon", "Ryanair"],
    "day": ["Monday", "Friday", "yesterday"],
    "card": ["4417", "1234", "9876"],
    "payee": ["my landlord", "my sister", "a friend"],
}
PREFIXES = ["", "Hi, ", "hello ", "Good morning. ", "hey "]


def demo_examples(per_reason: int = 20, seed: int = 1) -> tuple[list[str], list[str]]:
    """Customer openers of the demo bank, with their slots filled at random."""
    rng = random.Random(seed)
    texts, labels = [], []
    for reason, (_, _, openers, _, _) in REASONS.items():
        for _ in range(per_reason):
            opener = rng.choice(openers).format(**{k: rng.choice(v) for k, v in SLOTS.items()})
            texts.append(rng.choice(PREFIXES) + opener)
            labels.append(reason)
    return texts, labels


@pytest.fixture(scope="module")
def trained() -> tuple[ReasonModel, TrainReport]:
    texts, labels = demo_examples()
    texts += ["a rare question about safe deposit boxes", "safe deposit box opening hours"]
    labels += ["safe_deposit_box"] * 2
    return train_reason_model(texts, labels, seed=0)


def test_default_model_knows_banking_reasons() -> None:
    found = default_reason_model().predict(
        ["My card still hasn't arrived and it's been two weeks", "I forgot my passcode"]
    )
    assert [p.label for p in found] == ["card_arrival", "passcode_forgotten"]
    for p in found:
        assert p.why_unknown is None and p.confidence > 0.5
        assert len(p.top) == 3 and p.top[0] == (p.label, p.confidence)
        assert [s for _, s in p.top] == sorted((s for _, s in p.top), reverse=True)
    assert len(default_reason_model().labels) == 77


def test_off_topic_messages_are_unknown() -> None:
    off_topic = [
        "what lovely weather we are having today",
        "is it going to rain tomorrow",
        "hello",
        "thanks",
        "asdf",
        "I love pizza",
        "can you tell me the football score",
        "my cat knocked the plant off the shelf again",
        "👍",
    ]
    for p in default_reason_model().predict(off_topic):
        assert p.label is None
        assert p.why_unknown == "no known reason matches"


def test_unknown_says_why() -> None:
    empty, french, spaces = default_reason_model().predict(
        ["", "Bonjour, ma carte bancaire ne fonctionne plus depuis hier", "   "]
    )
    assert empty == ReasonPrediction(None, 0.0, (), "empty")
    assert spaces.why_unknown == "empty"
    assert french.label is None and french.why_unknown == "language 'fr' not supported"


def test_banking_jargon_is_english() -> None:
    (p,) = default_reason_model().predict(["Can I swap my EUR into USD in the app?"])
    assert p.why_unknown is None or p.why_unknown == "no known reason matches"


def test_training_reports_held_out_accuracy_and_thin_reasons(
    trained: tuple[ReasonModel, TrainReport],
) -> None:
    model, report = trained
    assert report.too_few == ("safe_deposit_box",)
    assert report.counts["safe_deposit_box"] == 2 < MIN_EXAMPLES
    assert report.counts["card_declined"] == 20
    assert "safe_deposit_box" not in model.labels and len(model.labels) == len(REASONS)
    assert report.examples == 20 * len(REASONS)
    assert report.held_out == report.examples // 5
    assert report.held_out_accuracy > 0.85
    assert 0.0 <= report.held_out_unknown_share <= 0.1
    assert report.outside_unknown_share is None
    assert report.languages == ("en",)
    assert any("safe_deposit_box" in line for line in report.lines())


def test_trained_model_predicts_and_round_trips(trained: tuple[ReasonModel, TrainReport]) -> None:
    model, _ = trained
    texts = ["my card got declined at the shop", "I have to change my address, we moved", "asdf"]
    predicted = model.predict(texts)
    assert [p.label for p in predicted[:2]] == ["card_declined", "change_address"]
    assert predicted[2].label is None
    again = ReasonModel.from_bytes(model.to_bytes())
    assert again.predict(texts) == predicted
    assert again.threshold == model.threshold and again.temperature == model.temperature


def test_outside_texts_train_a_topic_gate() -> None:
    texts, labels = demo_examples(per_reason=12)
    outside = [
        f"{a} {b}"
        for a in ("what a lovely day", "the match was great", "I made soup", "my cat is asleep")
        for b in ("today", "honestly", "again", "lol", "at last")
    ]
    model, report = train_reason_model(texts, labels, seed=3, outside_texts=outside)
    assert model.gate is not None
    assert report.outside_held_out == 4
    assert report.outside_unknown_share == 1.0
    assert report.held_out_unknown_share <= 0.1
    off_topic, on_topic = model.predict(
        ["my cat made soup today", "my card got declined at the till"]
    )
    assert off_topic.label is None and on_topic.label == "card_declined"
    again = ReasonModel.from_bytes(model.to_bytes())
    assert again.gate is not None and again.predict(["my cat made soup today"]) == [off_topic]
    no_gate, _ = train_reason_model(texts, labels, seed=3, outside_texts=outside[:5])
    assert no_gate.gate is None


def test_two_reasons_are_enough() -> None:
    texts = [f"my card got declined at shop {i}" for i in range(8)]
    texts += [f"I moved house, new address is {i} high street" for i in range(8)]
    labels = ["card_declined"] * 8 + ["change_address"] * 8
    model, report = train_reason_model(texts, labels)
    assert model.labels == ("card_declined", "change_address")
    assert model.predict(["declined again at the shop"])[0].top[0][0] == "card_declined"
    assert report.held_out == 4


def test_training_refuses_what_it_cannot_learn() -> None:
    with pytest.raises(ValueError, match="two reasons"):
        train_reason_model(["a", "b", "c", "d", "e"], ["x"] * 5)
    with pytest.raises(ValueError, match="same length"):
        train_reason_model(["a"], ["x", "y"])


def test_model_files_are_small_and_checked() -> None:
    assert len(shipped(REASON_FILE)) < 4_000_000
    with pytest.raises(ModelFileError):
        ReasonModel.from_bytes(pack("warmline.emotions", {}, {}))
    header = {"version": 1, "temperature": 1.0, "threshold": 0.5, "embedding": "other-512"}
    with pytest.raises(ModelFileError, match="embedding"):
        ReasonModel.from_bytes(pack("warmline.reasons", header, {}))
