"""Reproduce the insight models shipped in ``src/warmline/models/shipped/``.

Reads ``../shared/data`` (SemEval-2017, Twitter's terms: train and evaluate; GoEmotions,
Apache-2.0; Banking77, CC BY 4.0) and writes the model files. Deterministic: running it
again gives the same weights.

    .venv/bin/python scripts/train_insight_models.py [feelings] [reasons]

The feelings model's refined decisions are chosen with the shipped feelings encoder's
readings of the dev splits (``scripts/train_feelings_encoder.py`` trains it first); its
int8 arithmetic may differ between processors, so those few numbers may too.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

# One thread for numerical libraries: the machine is shared, and results stay reproducible.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from insight_data import (
    banking77,
    goemotions,
    goemotions_labels,
    goemotions_original_labels,
    not_about_money,
    semeval2017,
)
from warmline.models.feelings import FEELINGS_FILE
from warmline.models.reasons import REASON_FILE
from warmline.training.feelings import FeelingsData, train_feelings_model
from warmline.training.reasons import train_reason_model

MODELS = ROOT / "src" / "warmline" / "models" / "shipped"


def feelings_data(split: str) -> FeelingsData:
    """SemEval-2017 (``fit`` or ``dev``) and GoEmotions (``train`` or ``dev``) together."""
    tweets, polarity = semeval2017(split)
    comments, emotions = goemotions("train" if split == "fit" else "dev", original=True)
    ekman_comments, ekman = goemotions("train" if split == "fit" else "dev")
    assert ekman_comments == comments, "GoEmotions' two files list different comments"
    return FeelingsData(tweets, polarity, comments, emotions, ekman)


def feelings() -> None:
    """Polarity on SemEval-2017 (less its dev share), emotions on GoEmotions train; the
    decisions on the dev splits, with the shipped feelings encoder's opinion of them."""
    from warmline.models.feelings_encoder import FEELINGS_ENCODER, shipped_feelings_opinion

    started = time.perf_counter()
    train, dev = feelings_data("fit"), feelings_data("dev")
    opinion = None
    if (MODELS / f"{FEELINGS_ENCODER}.json").is_file():
        opinion = shipped_feelings_opinion().scores([*dev.tweets, *dev.comments])
    else:
        print("feelings: no feelings encoder yet; the refined reading is the fast one")
    trained = train_feelings_model(
        train, dev, goemotions_original_labels(), goemotions_labels(), second_opinion=opinion
    )
    data = trained.model.to_bytes()
    (MODELS / FEELINGS_FILE).write_bytes(data)
    print("feelings: dev " + ", ".join(f"{k} {v:.3f}" for k, v in trained.dev.items()))
    print(f"feelings: {len(data) / 1e6:.2f} MB in {time.perf_counter() - started:.0f} s")


def reasons() -> None:
    """Banking77 train split only; off-topic examples for the topic gate: GoEmotions train
    comments and SemEval-2017 train tweets (less its dev share) that say nothing about
    money, all read from ``../shared/data``.

    (GoEmotions and SemEval test and DialogSum stay unseen: the benchmark measures
    off-topic detection on them.)
    """
    started = time.perf_counter()
    texts, labels = banking77("train")
    outside = [
        *goemotions("train")[0],
        *not_about_money(semeval2017("fit")[0]),
    ]
    model, report = train_reason_model(texts, labels, seed=0, outside_texts=outside)
    data = model.to_bytes()
    (MODELS / REASON_FILE).write_bytes(data)
    for line in report.lines():
        print(f"reasons: {line}")
    print(f"reasons: {len(data) / 1e6:.2f} MB in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    wanted = set(sys.argv[1:]) or {"feelings", "reasons"}
    if "feelings" in wanted:
        feelings()
    if "reasons" in wanted:
        reasons()
